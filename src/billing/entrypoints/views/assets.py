"""``GET /billing/assets/fonts/<font>``: the fonts of the invoice HTML, the PDF's own files.

The HTML invoice names its fonts by this path (template v2), so a browser draws it with the
PDF's fonts. A stored HTML file is shown sandboxed, with an opaque origin, so its font requests
are cross-origin: the answer lets any origin read these public fonts (DejaVu, free licence),
and lets browsers keep them for a day.
"""

from __future__ import annotations

from flask import Blueprint, Response
from werkzeug.exceptions import NotFound

from billing.adapters.invoices.assets import packaged_font

blueprint = Blueprint("billing_assets", __name__)


@blueprint.get("/assets/fonts/<font>")
def font_file(font: str) -> Response:
    try:
        data, media_type = packaged_font(font)
    except LookupError as error:
        raise NotFound(f"no invoice font {font!r}") from error
    response = Response(data, content_type=media_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
