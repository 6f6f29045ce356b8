"""Artifact stores: where rendered invoices and credit notes are kept, checksummed."""
