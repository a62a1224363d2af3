"""Salesforce record ids: key prefixes, the 18-char checksum, generation and normalization.

A 15-char id is case-sensitive base 62; its 18-char form appends three characters that encode
which of the 15 characters are upper case, so the 18-char form survives case-insensitive systems.
"""

from __future__ import annotations

import string

from sfemu.errors import SalesforceError

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
_SUFFIX_INDEX = {c: i for i, c in enumerate(_SUFFIX_ALPHABET)}
_VALID_CHARS = frozenset(BASE62)

# Key prefixes of the object types sfemu knows (chars 1-3 of every id).
KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Lead": "00Q",
    "Group": "00G",
    "Organization": "00D",
    "LeadStatus": "01J",
    "Campaign": "701",
    "CampaignMember": "00v",
    "Profile": "00e",
    "ListView": "00B",
}

# Chars 4-6: pod "Dn" and the reserved "0", fixed for every generated id.
_INSTANCE = "Dn0"
_COUNTER_WIDTH = 15 - 3 - len(_INSTANCE)
_MAX_COUNTER = 62**_COUNTER_WIDTH - 1


def checksum(id15: str) -> str:
    """Return the three checksum characters that turn a 15-char id into its 18-char form."""
    out = []
    for chunk in range(3):
        bits = 0
        for k, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << k
        out.append(_SUFFIX_ALPHABET[bits])
    return "".join(out)


def to18(id15: str) -> str:
    """Return the 18-char form of a well-formed 15-char id."""
    return id15 + checksum(id15)


def to15(id18: str) -> str:
    """Return the case-sensitive 15-char form (as Salesforce shows ids in error messages)."""
    return id18[:15]


def _restore_case(id18: str) -> str | None:
    """Return the id with the case of its first 15 chars restored from its suffix, or None."""
    suffix = id18[15:].upper()
    restored = []
    for chunk, ch in enumerate(suffix):
        bits = _SUFFIX_INDEX.get(ch)
        if bits is None:
            return None
        for k, c in enumerate(id18[chunk * 5 : chunk * 5 + 5]):
            upper = bool(bits & (1 << k))
            if c.isalpha():
                restored.append(c.upper() if upper else c.lower())
            elif upper:
                return None
            else:
                restored.append(c)
    return "".join(restored) + suffix


def parse_id(value: str) -> str | None:
    """Return the canonical 18-char id for a 15- or 18-char id string, or None when malformed.

    An 18-char id typed in another letter case is repaired from its suffix, as the suffix tells
    which characters are upper case.
    """
    if len(value) not in (15, 18) or not _VALID_CHARS.issuperset(value):
        return None
    if len(value) == 15:
        return to18(value)
    if checksum(value[:15]) == value[15:]:
        return value
    return _restore_case(value)


def malformed_id(label: str, value: object, field: str = "Id") -> SalesforceError:
    """Return MALFORMED_ID worded as Salesforce words it for ``<label> ID``."""
    return SalesforceError(
        "MALFORMED_ID", f"{label} ID: id value of incorrect type: {value}", fields=[field]
    )


def encode_base62(number: int, width: int) -> str:
    """Return ``number`` in base 62, left-padded with zeros to ``width`` characters."""
    if number < 0:
        raise ValueError("negative number")
    digits = []
    while number:
        number, rem = divmod(number, 62)
        digits.append(BASE62[rem])
    return "".join(reversed(digits)).rjust(width, "0")


class IdGenerator:
    """Hand out deterministic ids per key prefix: prefix + 'Dn0' + a base-62 sequence number."""

    def __init__(self) -> None:
        """Start every prefix's sequence at 1."""
        self._counters: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        """Return the next 18-char id for ``prefix``."""
        count = self._counters.get(prefix, 0) + 1
        if count > _MAX_COUNTER:
            raise OverflowError(f"id space exhausted for prefix {prefix}")
        self._counters[prefix] = count
        return to18(prefix + _INSTANCE + encode_base62(count, _COUNTER_WIDTH))
