"""Our SOQL quoting read back by sfemu's SOQL parser: one literal, exactly the input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringsync.salesforce.soql import quote_like, quote_string

INJECTION = "' OR Id != null OR LastName='"
texts = st.text(min_size=1, max_size=60).filter(lambda t: t.strip() != "")


@pytest.fixture(scope="module")
def emu() -> tuple[Any, Any, Any]:
    """Return sfemu's compile_query, an org (the catalog) and an evaluation context."""
    from sfemu.org import Org
    from sfemu.soql import EvalContext, compile_query

    org = Org()
    ctx = EvalContext(lookup=org.lookup, object_for_id=org.object_for_id, now=org.now())
    return compile_query, org, ctx


def _matches(emu: tuple[Any, Any, Any], where: str, last_name: str) -> bool:
    compile_query, org, ctx = emu
    query = compile_query(f"SELECT Id FROM Lead WHERE {where}", org)
    record = {"Id": "00QDn0000000001MAA", "IsDeleted": False, "LastName": last_name}
    return bool(query.matches(record, ctx))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_quoted_string_equals_exactly_the_input(emu: tuple[Any, Any, Any], text: str) -> None:
    where = f"LastName = {quote_string(text)}"
    assert _matches(emu, where, text)
    assert not _matches(emu, where, text + "Z")


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_injection_payload_stays_inside_the_literal(emu: tuple[Any, Any, Any], text: str) -> None:
    where = f"LastName = {quote_string(text + INJECTION)}"
    assert not _matches(emu, where, "Somebody Else")
    assert _matches(emu, where, text + INJECTION)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_like_pattern_matches_only_the_literal_text(emu: tuple[Any, Any, Any], text: str) -> None:
    where = f"LastName LIKE {quote_like(text)}"
    assert _matches(emu, where, text)
    assert not _matches(emu, where, text + "Z")
    contains = f"LastName LIKE {quote_like(text, 'contains')}"
    assert _matches(emu, contains, f"a{text}b")
