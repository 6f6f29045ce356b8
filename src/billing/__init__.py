"""billing: Stripe payments for an application's orders, built as ports and adapters.

See ARCHITECTURE.md for the layering: ``domain`` (pure rules), ``ports`` (Protocols),
``services`` (use cases), ``adapters`` (Stripe, SQL, memory, ...) and ``entrypoints``.
"""

__version__ = "0.1.0"
