"""Legal identifiers checked with python-stdnum: EU VAT numbers, SIREN and SIRET (Luhn).

Each check returns the identifier in its compact form (``FR40303265045``, ``732829320``) or
raises ``ValueError`` with the problem in words (stdnum's own errors are ``ValueError``s too);
the settings and the checkout request turn that into their own one-line refusals.
"""

from __future__ import annotations

from stdnum.eu import vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren, siret

#: A SIRET is the SIREN (9 digits) and the establishment's 5-digit NIC.
SIRET_LENGTH = 14


def vat_number(value: str) -> str:
    """An EU VAT number with its country prefix (``FR 40 303 265 045``), compacted."""
    try:
        return str(vat.validate(value))
    except ValidationError as error:
        raise ValueError(f"is not a valid EU VAT number ({error})") from None


def company_number(value: str) -> str:
    """A French SIREN (9 digits) or SIRET (14 digits), spaces allowed, compacted."""
    digits = siret.compact(value)
    try:
        if len(digits) == SIRET_LENGTH:
            return str(siret.validate(digits))
        return str(siren.validate(digits))
    except ValidationError as error:
        raise ValueError(f"is not a valid SIREN or SIRET ({error})") from None
