import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringsync.domain import phones
from ringsync.domain.phones import PhoneIdentity, mask, mask_raw, normalize, try_normalize
from ringsync.errors import ValidationError

SAME_NUMBER = [
    "+1 (415) 555-0100",
    "415.555.0100",
    "14155550100",
    "(415) 555 0100",
    "+14155550100",
    "1-415-555-0100",
    "４１５５５５０１００",  # full-width digits
    "٤١٥٥٥٥٠١٠٠",  # Arabic-Indic digits
    "＋１ ４１５ ５５５ ０１００",  # full-width plus and digits
    " 415 555 0100 ",
]


@pytest.mark.parametrize("raw", SAME_NUMBER)
def test_every_spelling_of_one_number_is_one_identity(raw: str) -> None:
    assert normalize(raw, "US") == PhoneIdentity("+14155550100", "")


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("415-555-0100 ext. 12", "US", PhoneIdentity("+14155550100", "12")),
        ("415-555-0100 x99", "US", PhoneIdentity("+14155550100", "99")),
        ("+1 415 555 0100;ext=7", "US", PhoneIdentity("+14155550100", "7")),
        ("415 555 0100 extension 1234", "US", PhoneIdentity("+14155550100", "1234")),
        ("415 555 0100 #55", "US", PhoneIdentity("+14155550100", "55")),
        ("020 7946 0958", "GB", PhoneIdentity("+442079460958", "")),
        ("+44 20 7946 0958", "US", PhoneIdentity("+442079460958", "")),
        ("011 44 20 7946 0958", "US", PhoneIdentity("+442079460958", "")),
        ("030 123456", "DE", PhoneIdentity("+4930123456", "")),
        ("(416) 555-0123", "CA", PhoneIdentity("+14165550123", "")),
        ("416 555 0123", "US", PhoneIdentity("+14165550123", "")),
    ],
)
def test_extensions_regions_and_international_prefixes(
    raw: str, region: str, expected: PhoneIdentity
) -> None:
    assert normalize(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "empty", "phone number (empty) is empty"),
        ("   ", "empty", "phone number (empty) is empty"),
        ("abc", "bad_chars", "phone number ??? contains letters or symbols"),
        ("1-800-FLOWERS", "bad_chars", "phone number *-***-??????? contains letters"),
        ("415555010", "invalid_number", "phone number *****5010 is not a valid number"),
        ("12345", "invalid_number", "phone number *2345 is not a valid number for region US"),
        ("+1+4155550100", "bad_chars", "has a plus sign in the middle"),
        ("+999 123 456 7890", "unparseable", "cannot be parsed (unknown country code)"),
        ("--", "empty", "has no digits"),
        ("+1 415 555 0100 1234 5678 9999", "too_long", "is too long (more than 15 digits)"),
        ("4" * 70, "too_long", "is too long (more than 64 characters)"),
        ("415<script>5550100", "bad_chars", "contains letters or symbols"),
    ],
)
def test_bad_numbers_name_the_masked_value_and_the_reason(
    raw: str, code: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize(raw, "US")
    assert message in str(caught.value)
    assert [p.code for p in caught.value.problems] == [code]
    assert caught.value.problems[0].field == "phone"
    assert "4155550" not in str(caught.value)  # never the full number


def test_unknown_region_is_reported_as_a_region_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize("4155550100", "XX")
    assert caught.value.problems[0].field == "phone_region"
    assert str(caught.value) == "unknown phone region 'XX'"


def test_none_and_numbers_are_accepted_as_input() -> None:
    assert normalize(14155550100, "US").e164 == "+14155550100"
    assert try_normalize(None, "US") is None
    assert try_normalize("nope", "US") is None


def test_field_name_is_used_in_the_problem() -> None:
    with pytest.raises(ValidationError) as caught:
        normalize("12", "US", field="mobile_phone")
    assert caught.value.problems[0].field == "mobile_phone"


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+14155550100", "+1******0100"),
        ("+442079460958", "+44******0958"),
        ("+4930123456", "+49****3456"),
        ("123", "***"),
    ],
)
def test_mask_keeps_country_code_and_last_four(e164: str, masked: str) -> None:
    assert mask(e164) == masked


def test_identity_renders_extension_and_masks() -> None:
    identity = PhoneIdentity("+14155550100", "12")
    assert str(identity) == "+14155550100;ext=12"
    assert identity.masked == "+1******0100;ext=12"
    assert mask_raw("(415) 555-0100") == "(***) ***-0100"


REGIONS = ["US", "GB", "DE", "FR", "IN", "BR", "AU", "JP", "CA", "MX"]


@st.composite
def valid_numbers(draw: st.DrawFn) -> tuple[phonenumbers.PhoneNumber, str]:
    region = draw(st.sampled_from(REGIONS))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    return example, region


FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
]


@given(valid_numbers(), st.sampled_from(FORMATS))
def test_normalization_is_idempotent(
    number_and_region: tuple[phonenumbers.PhoneNumber, str], fmt: int
) -> None:
    number, region = number_and_region
    first = normalize(phonenumbers.format_number(number, fmt), region)
    assert normalize(first.e164, region) == first
    assert normalize(str(first), region) == first


@given(valid_numbers(), st.sampled_from(REGIONS))
def test_international_spellings_agree_across_regions(
    number_and_region: tuple[phonenumbers.PhoneNumber, str], other_region: str
) -> None:
    number, region = number_and_region
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    assert normalize(international, other_region) == normalize(national, region)


@given(st.text(alphabet="0123456789 +-().x", max_size=25), st.sampled_from(REGIONS))
def test_any_accepted_input_normalizes_to_a_stable_identity(raw: str, region: str) -> None:
    identity = try_normalize(raw, region)
    if identity is not None:
        assert identity.e164.startswith("+")
        assert normalize(identity.e164, region).e164 == identity.e164


@given(
    st.text(alphabet="0123456789 +-().x", min_size=7, max_size=25),
    st.sampled_from(REGIONS),
    st.sampled_from(REGIONS),
)
def test_a_remembered_e164_form_is_what_a_full_parse_gives_in_any_region(
    raw: str, region: str, other_region: str
) -> None:
    # Every number parsed is remembered by its E.164 form, which then skips the parser: that
    # shortcut must answer exactly what parsing the E.164 text would, in every default region.
    identity = try_normalize(raw, region)
    if identity is None:
        return
    remembered = normalize(identity.e164, other_region)
    assert phones._known_e164.get(identity.e164) == remembered
    parsed = phones._normalize_cached(identity.e164, other_region)
    assert parsed == PhoneIdentity(e164=identity.e164, extension="") == remembered


def test_the_remembered_e164_forms_stay_bounded() -> None:
    for n in range(phones._CACHE_SIZE + 10):
        normalize(f"+1415{2000000 + n:07d}", "US")
    assert 0 < len(phones._known_e164) <= phones._CACHE_SIZE
