"""Invoice and credit-note renderers: packaged Jinja2 templates, and the PDF made of them.

Import the renderer from its module (``billing.adapters.invoices.pdf_renderer``): this package
imports nothing, so loading a sibling module never pulls in WeasyPrint and its native libraries.
"""
