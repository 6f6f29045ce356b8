"""The files an invoice loads besides its HTML: the fonts shipped in the package.

The same bytes serve the PDF renderer (through its URL fetcher) and the browser (through the
``/billing/assets/fonts/<name>`` route), so the HTML invoice is drawn with the PDF's fonts. This
module imports nothing heavy: a web worker serves fonts without loading WeasyPrint.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Final

#: Where the templates (v2 on) load fonts from: a path under the billing's own routes.
FONTS_PATH: Final = "/billing/assets/fonts/"
FONT_TYPES: Final = {".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2"}


def font_names() -> frozenset[str]:
    """The font files the package ships."""
    directory = resources.files("billing.adapters.invoices").joinpath("fonts")
    return frozenset(
        entry.name
        for entry in directory.iterdir()
        if any(entry.name.endswith(suffix) for suffix in FONT_TYPES)
    )


@functools.cache
def packaged_font(name: str) -> tuple[bytes, str]:
    """The bytes and media type of the packaged font ``name``; LookupError for any other name
    (a path, a file that is not a font), so no caller can read outside the fonts folder."""
    if name not in font_names():
        raise LookupError(f"no packaged invoice font {name!r}")
    data = resources.files("billing.adapters.invoices").joinpath("fonts", name).read_bytes()
    suffix = name[name.rindex(".") :]
    return data, FONT_TYPES[suffix]
