"""Logging set-up: one format, phone numbers masked, chatty HTTP loggers quieted.

The HTTP client logs full request URLs at INFO, and a SOQL query string in a URL can hold phone
numbers and names; it is held at WARNING so only failures (without query text) reach the logs.
"""

from __future__ import annotations

import logging
import re

# A phone-like run: optional +, then 7 or more digits possibly split by spaces, dots, dashes or
# parentheses. The last four digits stay visible so an admin can still tell records apart.
_PHONE_LIKE = re.compile(r"(?<![\w/])\+?\(?(?:\d[\s().-]{0,2}){6,}(\d{4})(?![\d:])")

_QUIET_LOGGERS = ("httpx2", "httpcore2", "httpx", "httpcore", "urllib3", "uvicorn.access")


def mask_phones(text: str) -> str:
    """Replace every phone-like run in ``text`` with stars and its last four digits."""
    return _PHONE_LIKE.sub(lambda m: "***" + m.group(1), text)


class PhoneMaskingFilter(logging.Filter):
    """Mask phone numbers in every log record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, mask it, and keep the record."""
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Install one stream handler with phone masking on the root logger."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not any(getattr(h, "_ringsync", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(PhoneMaskingFilter())
        handler._ringsync = True  # type: ignore[attr-defined]  # marker so we install once
        root.addHandler(handler)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
