"""E-mail: the SMTP ``Mailer`` and the receipt templates."""

from .config import SmtpConfig
from .smtp import SmtpMailer
from .templates import LOCALES, JinjaReceiptTemplates

__all__ = ["LOCALES", "JinjaReceiptTemplates", "SmtpConfig", "SmtpMailer"]
