"""JSON log lines under ``billing.*``, each carrying the correlation id of its request.

The correlation id lives in a context variable set per request (``X-Request-ID`` when the caller
sent a sane one, else a new one); a filter on our handler copies it onto every record. Values
under keys that name a secret are replaced before anything is written.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import IO, Any

from billing.correlation import correlation_id

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_SECRET_KEY = re.compile(r"secret|token|password|authorization|signature|api_key", re.I)
#: The attributes every LogRecord has; anything else was passed with ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

__all__ = ["correlation_id"]  # defined beside the code that passes it on, re-exported here


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a short plain token, else a new one."""
    if header and _VALID_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        return True


@functools.cache
def _names_a_secret(key: str) -> bool:
    """Whether a key names a secret (keys are few and repeat: decided once each)."""
    return _SECRET_KEY.search(key) is not None


def _redact(key: str, value: Any) -> Any:
    return "[redacted]" if _names_a_secret(key) else value


#: ``json.dumps(line, default=str, sort_keys=True)``, without building an encoder per line.
_ENCODER = json.JSONEncoder(default=str, sort_keys=True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None),
        }
        fields = vars(record)
        for key in fields.keys() - _STANDARD:  # what was passed with extra=
            if key not in line:
                line[key] = _redact(key, fields[key])
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line)


class _BillingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def configure_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> None:
    """Write ``billing.*`` records as JSON lines to ``stream`` (stderr by default)."""
    logger = logging.getLogger("billing")
    for handler in list(logger.handlers):
        if isinstance(handler, _BillingHandler):
            logger.removeHandler(handler)
    handler = _BillingHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CorrelationFilter())
    logger.addHandler(handler)
    logger.setLevel(level)


def logging_configured() -> bool:
    return any(isinstance(h, _BillingHandler) for h in logging.getLogger("billing").handlers)
