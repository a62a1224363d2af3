"""The pages: sign-in form with its own CSRF token, role checks, no inline scripts (CSP)."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _form_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no csrf_token field in the form"
    return match.group(1)


def _sign_in_by_form(client: TestClient, email: str) -> Any:
    page = client.get("/sign-in")
    assert page.status_code == 200
    return client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": _form_token(page.text)},
        follow_redirects=False,
    )


def _no_inline_code(html: str) -> None:
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script, script
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "http://" not in html
    assert "https://" not in html


def test_sign_in_by_form_then_see_contacts(world: Any) -> None:
    client = TestClient(world.agent.client.app)
    response = _sign_in_by_form(client, world.agent.email)
    assert response.status_code == 303
    assert response.headers["location"] == "/contacts"
    page = client.get("/contacts")
    assert page.status_code == 200
    assert "Contacts" in page.text
    assert "/salesforce" not in page.text  # agents do not see the admin tab
    _no_inline_code(page.text)


def test_sign_in_by_form_over_https_uses_host_prefixed_secure_cookies(world: Any) -> None:
    client = TestClient(world.agent.client.app, base_url="https://testserver")
    page = client.get("/sign-in")
    presignin = " ".join(page.headers.get_list("set-cookie"))
    assert presignin.startswith("__Host-ringsync-signin=")
    assert "Secure" in presignin
    response = _sign_in_by_form(client, world.agent.email)
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-ringsync="))
    assert "Secure" in session
    assert "HttpOnly" in session
    dropped = next(c for c in cookies if c.startswith("__Host-ringsync-signin="))
    assert "Max-Age=0" in dropped
    assert "Secure" in dropped
    assert client.get("/contacts").status_code == 200


def test_sign_in_form_without_a_valid_token_is_refused(world: Any) -> None:
    client = TestClient(world.agent.client.app)
    client.get("/sign-in")
    for token in ("", "forged"):
        response = client.post(
            "/sign-in",
            data={"email": world.agent.email, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert "form expired" in response.text
        assert "ringsync_session" not in " ".join(response.headers.get_list("set-cookie"))
    # A token from another browser (another pre-sign-in cookie) does not work either.
    stranger = TestClient(world.agent.client.app)
    token = _form_token(stranger.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": world.agent.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_wrong_password_on_the_form_shows_the_error(world: Any) -> None:
    client = TestClient(world.agent.client.app)
    token = _form_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": world.agent.email, "password": "nope", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "email or password is wrong" in response.text
    assert world.agent.email in response.text  # the email is kept in the field


def test_anonymous_pages_answer_401_with_the_sign_in_form(world: Any) -> None:
    for path in ("/contacts", "/salesforce"):
        response = world.anonymous.get(path)
        assert response.status_code == 401
        assert 'action="/sign-in"' in response.text
        _no_inline_code(response.text)


def test_salesforce_tab_is_for_admins_only(world: Any) -> None:
    assert world.agent.client.get("/salesforce").status_code == 403
    admin_page = world.admin.client.get("/salesforce")
    assert admin_page.status_code == 200
    assert "Salesforce" in admin_page.text
    _no_inline_code(admin_page.text)
    assert world.other_admin.client.get("/salesforce").status_code == 200


def test_contacts_page_lists_and_searches_the_accounts_contacts(world: Any) -> None:
    admin = world.admin
    admin.client.post(
        "/api/v1/contacts",
        json={"phone": "+14155550161", "first_name": "Grace<script>"},
        headers=admin.headers,
    )
    page = admin.client.get("/contacts")
    assert "+14155550161" in page.text
    assert "Grace&lt;script&gt;" in page.text  # escaped
    found = admin.client.get("/contacts", params={"phone": "415 555 0161"})
    assert "+14155550161" in found.text
    bad = admin.client.get("/contacts", params={"phone": "not a phone"})
    assert bad.status_code == 422
    other = world.other_admin.client.get("/contacts")
    assert "+14155550161" not in other.text


def test_sign_out_form_needs_its_token(world: Any) -> None:
    agent = world.agent
    page = agent.client.get("/contacts")
    refused = agent.client.post("/sign-out", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert agent.client.get("/contacts").status_code == 200
    done = agent.client.post(
        "/sign-out", data={"csrf_token": _form_token(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    assert agent.client.get("/contacts").status_code == 401


def test_home_redirects_to_contacts(world: Any) -> None:
    response = world.agent.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/contacts"
