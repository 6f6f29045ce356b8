"""The pure domain: money, orders and their state machine, refunds, entitlements, invoices.

Standard library and attrs only; nothing here performs I/O.
"""
