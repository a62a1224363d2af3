"""Phone identity: one canonical E.164 number (plus extension) for every way people write it.

Call-center traffic repeats the same callers, so normalisation is LRU-cached; a cache hit costs
well under a microsecond while a validated parse costs ~30 µs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from ringsync.errors import Problem, ValidationError

MAX_RAW_LENGTH = 64
MAX_DIGITS = 15  # E.164 caps a number at 15 digits
_CACHE_SIZE = 65_536

_EXTENSION = re.compile(
    r"(?:;\s*ext\s*=\s*|\s*(?:extension|ext\.?|x|#)\s*)(?P<ext>\d{1,10})\s*$",
    re.IGNORECASE,
)
_ALLOWED = re.compile(r"^[+\d\s().\-/]*$")


@dataclass(frozen=True, slots=True)
class PhoneIdentity:
    """Name one reachable endpoint: an E.164 number and an optional extension ("" when none)."""

    e164: str
    extension: str = ""

    def __str__(self) -> str:
        """Render the identity the way RFC 3966 writes extensions."""
        return f"{self.e164};ext={self.extension}" if self.extension else self.e164

    @property
    def masked(self) -> str:
        """Return the identity safe for logs (country code and last four digits only)."""
        masked = mask(self.e164)
        return f"{masked};ext={self.extension}" if self.extension else masked


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    code: str


def mask(e164: str) -> str:
    """Hide all but the country code and the last four digits of an E.164 number."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if len(digits) <= 4:
        return "*" * len(digits)
    country = _country_prefix(digits)
    hidden = len(digits) - len(country) - 4
    if hidden <= 0:
        country = ""
        hidden = len(digits) - 4
    return f"+{country}{'*' * hidden}{digits[-4:]}"


def mask_raw(raw: str) -> str:
    """Hide every digit of free-form input except the last four (for error messages)."""
    digits = [ch for ch in raw if ch.isdigit()]
    keep = 4 if len(digits) > 4 else 0
    shown = len(digits) - keep
    out: list[str] = []
    seen = 0
    for ch in raw[:MAX_RAW_LENGTH]:
        if ch.isdigit():
            out.append("*" if seen < shown else ch)
            seen += 1
        elif ch.isalpha():
            out.append("?")
        else:
            out.append(ch)
    return "".join(out).strip() or "(empty)"


def _country_prefix(digits: str) -> str:
    for size in (1, 2, 3):
        if int(digits[:size]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return digits[:size]
    return ""


def _ascii_digits(raw: str) -> str:
    """Fold full-width and other Unicode decimal digits to ASCII so every script parses alike."""
    if raw.isascii():
        return raw
    text = unicodedata.normalize("NFKC", raw)
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def is_supported_region(region: str) -> bool:
    """Tell whether ``region`` is an ISO 3166 region the phone metadata knows."""
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize_cached(raw: str, region: str) -> PhoneIdentity | _Failure:
    text = _ascii_digits(raw).strip()
    if not text:
        return _Failure("is empty", "empty")
    if len(text) > MAX_RAW_LENGTH:
        return _Failure(f"is too long (more than {MAX_RAW_LENGTH} characters)", "too_long")
    if text[:4].lower() == "tel:":  # RFC 3966 URI, as in tel:+1-415-555-0100;ext=12
        text = text[4:].strip()
    extension = ""
    # Every extension marker (x, ext, extension, #, ;ext=) has an "x", "#" or ";".
    found = (
        _EXTENSION.search(text)
        if ("x" in text or "X" in text or "#" in text or ";" in text)
        else None
    )
    if found:
        extension = found.group("ext")
        text = text[: found.start()].strip()
    if not _ALLOWED.match(text):
        return _Failure("contains letters or symbols a phone number cannot have", "bad_chars")
    digit_text = "".join(filter(str.isdigit, text))
    digits = len(digit_text)
    if digits == 0:
        return _Failure("has no digits", "empty")
    if digits > MAX_DIGITS + 3:  # allow an international dialling prefix such as 011
        return _Failure(f"is too long (more than {MAX_DIGITS} digits)", "too_long")
    if "+" in text[1:]:
        return _Failure("has a plus sign in the middle", "bad_chars")
    # Hand the parser digits only (the characters around them were checked above): it is
    # about a fifth faster than letting it strip punctuation itself.
    plain = ("+" if text.startswith("+") else "") + digit_text
    try:
        parsed = phonenumbers.parse(plain, region)
    except phonenumbers.NumberParseException as exc:
        why = _PARSE_REASONS.get(exc.error_type, "bad format")
        return _Failure(f"cannot be parsed ({why})", "unparseable")
    # Checking the caller's region first skips the scan over every region of a shared
    # country code (25 for +1); other regions still get the full check.
    valid = phonenumbers.is_valid_number_for_region(parsed, region)
    if not valid and not phonenumbers.is_valid_number(parsed):
        return _Failure(f"is not a valid number for region {region}", "invalid_number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return PhoneIdentity(e164=e164, extension=extension)


_PARSE_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the IDD prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}


def normalize(raw: object, region: str = "US", *, field: str = "phone") -> PhoneIdentity:
    """Return the canonical identity of ``raw`` or raise ValidationError naming the masked value."""
    region_key = (region or "").upper()
    if not is_supported_region(region_key):
        raise ValidationError(
            f"unknown phone region {region!r}",
            [Problem(field="phone_region", reason=f"unknown region {region!r}", code="bad_region")],
        )
    text = "" if raw is None else raw if isinstance(raw, str) else str(raw)
    result = _normalize_cached(text[: MAX_RAW_LENGTH + 1], region_key)
    if isinstance(result, _Failure):
        shown = mask_raw(_ascii_digits(text))
        reason = f"phone number {shown} {result.reason}"
        raise ValidationError(reason, [Problem(field=field, reason=reason, code=result.code)])
    return result


def try_normalize(raw: object, region: str = "US") -> PhoneIdentity | None:
    """Return the identity of ``raw`` or None when it is not a valid phone number."""
    try:
        return normalize(raw, region)
    except ValidationError:
        return None


def cache_info() -> str:
    """Describe the normalisation cache (hits, misses, size) for diagnostics."""
    return str(_normalize_cached.cache_info())


__all__ = [
    "PhoneIdentity",
    "cache_info",
    "is_supported_region",
    "mask",
    "mask_raw",
    "normalize",
    "try_normalize",
]
