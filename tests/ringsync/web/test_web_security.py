"""Pure security pieces: signing, CSRF binding, cursors, password hashing, the sliding window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from ringsync.clock import FrozenClock
from ringsync.errors import ValidationError
from ringsync.web.api.contacts import decode_cursor, encode_cursor
from ringsync.web.ratelimit import Limit, LoginLimiter, SlidingWindowLimiter
from ringsync.web.security import Passwords, Signer, digest, new_api_token

SIGNER = Signer(b"k" * 40)
OTHER = Signer(b"j" * 40)
values = st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=80)


@given(values)
def test_signed_values_come_back_only_with_the_right_key_and_purpose(value: str) -> None:
    signed = SIGNER.sign("session", value)
    assert SIGNER.unsign("session", signed) == value
    assert SIGNER.unsign("presignin", signed) is None
    assert OTHER.unsign("session", signed) is None
    assert SIGNER.unsign("session", signed[:-1] + ("A" if signed[-1] != "A" else "B")) is None


@given(values, values)
def test_csrf_tokens_are_bound_to_their_session(first: str, second: str) -> None:
    token = SIGNER.csrf_token(first)
    assert SIGNER.check_csrf(first, token)
    assert SIGNER.check_csrf(second, token) == (first == second)
    assert not SIGNER.check_csrf(first, None)
    assert not SIGNER.check_csrf(first, "")


@given(st.integers(min_value=0, max_value=2**62))
def test_cursors_round_trip(last_id: int) -> None:
    assert decode_cursor(encode_cursor(last_id)) == last_id


@given(st.text(max_size=40))
def test_any_other_text_is_a_cursor_validation_error_or_a_position(text: str) -> None:
    fields: list[str] = []
    number = -1
    try:
        number = decode_cursor(text)
    except ValidationError as exc:
        fields = [p.field for p in exc.problems]
    if fields:
        assert fields == ["cursor"]
    else:
        assert number >= 0  # a hand-made but well-formed cursor is just a position


def test_api_tokens_are_random_and_digested() -> None:
    tokens = {new_api_token() for _ in range(50)}
    assert len(tokens) == 50
    token = tokens.pop()
    assert token.startswith("rs_")
    assert len(digest(token)) == 64
    assert token not in digest(token)


def test_passwords_hash_and_verify() -> None:
    passwords = Passwords(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    encoded = passwords.hash("a long enough password")
    assert encoded.startswith("$argon2id$")
    assert passwords.verify(encoded, "a long enough password")
    assert not passwords.verify(encoded, "another password")
    assert not passwords.verify(None, "a long enough password")
    assert not passwords.verify("not-a-hash", "x")
    assert passwords.needs_rehash("not-a-hash")
    assert not passwords.needs_rehash(encoded)
    assert Passwords().needs_rehash(encoded)  # weaker than the defaults: upgraded at sign-in


def test_sliding_window_forgets_attempts_one_by_one() -> None:
    clock = FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))
    limiter = SlidingWindowLimiter(Limit(3, timedelta(seconds=60)), clock)
    for _ in range(3):
        assert limiter.retry_after("k") == 0
        limiter.hit("k")
        clock.advance(10)
    assert limiter.retry_after("k") == 30  # the first attempt leaves the window at t=60
    clock.advance(30)
    assert limiter.retry_after("k") == 0
    limiter.hit("k")
    assert limiter.retry_after("k") == 10
    limiter.reset("k")
    assert limiter.retry_after("k") == 0


def test_login_limiter_also_caps_one_address_across_emails() -> None:
    clock = FrozenClock(datetime(2026, 3, 1, tzinfo=UTC))
    window = timedelta(minutes=1)
    limiter = LoginLimiter(clock, per_email=Limit(2, window), per_address=Limit(3, window))
    limiter.failed("10.0.0.1", "a@example.com")
    limiter.failed("10.0.0.1", "A@Example.com ")
    assert limiter.retry_after("10.0.0.1", "a@example.com") == 60
    assert limiter.retry_after("10.0.0.1", "b@example.com") == 0
    limiter.failed("10.0.0.1", "b@example.com")
    assert limiter.retry_after("10.0.0.1", "c@example.com") == 60
    assert limiter.retry_after("10.0.0.2", "a@example.com") == 0
    limiter.succeeded("10.0.0.1", "a@example.com")
    assert limiter.retry_after("10.0.0.1", "a@example.com") == 60  # the address cap remains
