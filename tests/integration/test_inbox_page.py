"""The inbox page's own routes in process: public files that hold no data, a strict CSP, and the sign-in settings."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import inbox_page
from tests.conftest import ROOT
from tests.integration.test_staff_api import load_staff_app

PAGE_FILES = ("/staff/inbox.js", "/staff/inbox.css", "/staff/qr.js")
ISSUER = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Staff1"
pytestmark = pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported:UserWarning")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The staff app in Chalice's test client, on a deployed-like stage (no AWS call is made by these routes)."""
    from chalice.test import Client

    for name, value in {"STAGE": "prod", "STAFF_ISSUER": ISSUER, "STAFF_CLIENT_ID": "inbox-client"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STAFF_COGNITO_ENDPOINT", raising=False)
    inbox_page.settings.cache_clear()
    with Client(load_staff_app(), stage_name="prod", project_dir=str(ROOT / "staff")) as test_client:
        yield test_client
    inbox_page.settings.cache_clear()


def test_the_page_and_its_files_need_no_token_and_forbid_every_other_script_and_frame(client: Any) -> None:
    for path in ("/staff/", *PAGE_FILES):
        # WHEN anyone asks, with no token
        answer = client.http.get(path)
        # THEN they get the file, under a CSP that lets only the page's own files run
        assert answer.status_code == 200, path
        csp = answer.headers["Content-Security-Policy"]
        for rule in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'none'"):
            assert rule in csp, (path, rule)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        # AND the only other origin it may talk to is the stage's Cognito
        assert re.search(r"connect-src 'self' https://cognito-idp\.us-west-2\.amazonaws\.com(;|$)", csp), csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert client.http.get("/staff/").headers["Content-Type"].startswith("text/html")
    assert client.http.get("/staff/inbox.js").headers["Content-Type"].startswith("text/javascript")


def test_the_page_has_no_inline_script_or_style_and_holds_no_data(client: Any) -> None:
    html = client.http.get("/staff/").body.decode()
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="inbox.js">']
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<[^>]*\son[a-z]+=", html)  # no inline event handler
    assert not re.search(r"[0-9A-HJKMNP-TV-Z]{26}", html)  # no lead id; the list is read after sign-in


def test_config_says_where_to_sign_in_and_a_deployed_stage_keeps_15_minutes_idle(client: Any) -> None:
    answer = client.http.get("/staff/config?idle_seconds=3")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert json.loads(answer.body) == {
        "cognito": {
            "endpoint": "https://cognito-idp.us-west-2.amazonaws.com/",
            "region": "us-west-2",
            "client_id": "inbox-client",
        },
        "clinic_timezone": "America/New_York",
        # The test's shorter limit is for the local stage only.
        "idle_seconds": 900,
        "poll_seconds": 3,
    }


def test_the_local_stage_lets_a_test_shorten_the_idle_limit_but_never_lengthen_it() -> None:
    local = inbox_page.InboxSettings.from_env(
        {"STAGE": "local", "STAFF_ISSUER": ISSUER, "STAFF_COGNITO_ENDPOINT": "http://127.0.0.1:5000"}
    )

    class Request:
        def __init__(self, seconds: str) -> None:
            self.query_params = {"idle_seconds": seconds}

    original = inbox_page.settings
    try:
        inbox_page.settings = lambda: local  # type: ignore[assignment]
        idle = [json.loads(inbox_page.config(Request(s)).body)["idle_seconds"] for s in ("4", "0", "99999", "x")]
    finally:
        inbox_page.settings = original  # type: ignore[assignment]
    assert idle == [4, inbox_page.SHORTEST_IDLE_SECONDS, 900, 900]
    assert local.cognito_endpoint == "http://127.0.0.1:5000/" and local.cognito_origin == "http://127.0.0.1:5000"


def test_staff_without_the_slash_are_sent_to_the_page_with_it() -> None:
    class Request:
        context = {"path": "/api/staff"}
        query_params = None

    answer = inbox_page.page(Request())
    assert answer.status_code == 308 and answer.headers["Location"] == "/api/staff/"


def test_the_qr_encoder_served_is_the_uqr_package_unchanged() -> None:
    package = ROOT / "node_modules" / "uqr" / "dist" / "index.mjs"
    if not package.exists():
        pytest.skip("node_modules is not installed (make test runs npm ci)")
    served = (ROOT / "chalicelib" / "data" / "inbox" / "qr.js").read_text(encoding="utf-8")
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/uqr"]["version"] == "0.1.3"
    assert served.startswith("// uqr 0.1.3 (npm)")
    assert served.split("\n", 3)[3] == package.read_text(encoding="utf-8")
