import logging

import pytest

from ringsync.logs import PhoneMaskingFilter, configure_logging, mask_phones


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("call from +14155550100 ended", "call from ***0100 ended"),
        ("dialled (415) 555-0199", "dialled ***0199"),
        ("number 415.555.0123 busy", "number ***0123 busy"),
        ("uk +44 20 7946 0958", "uk ***0958"),
        ("contact 42 updated", "contact 42 updated"),
        ("run 2026-03-01 finished", "run 2026-03-01 finished"),
        ("record 00Q5g00000ABCDE1234 synced", "record 00Q5g00000ABCDE1234 synced"),
        ("job sync_inbound:1:29392296300:ab12", "job sync_inbound:1:29392296300:ab12"),
        ("phone: +14155550100.", "phone: ***0100."),
    ],
)
def test_mask_phones_keeps_only_the_last_four_digits(raw: str, masked: str) -> None:
    assert mask_phones(raw) == masked


def test_filter_masks_formatted_arguments() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "phone %s", ("+14155550100",), None)
    assert PhoneMaskingFilter().filter(record)
    assert record.getMessage() == "phone ***0100"


@pytest.mark.usefixtures("restore_root_logger")
def test_configure_logging_quiets_http_client_loggers() -> None:
    configure_logging("INFO")
    assert logging.getLogger("httpx2").level == logging.WARNING
    configure_logging("INFO")
    assert sum(1 for h in logging.getLogger().handlers if getattr(h, "_ringsync", False)) == 1
