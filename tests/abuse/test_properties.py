"""Property tests: whatever arrives at /leads, the answer is never a 5xx and nothing unexpected is stored.

Each test sends its requests through the real Chalice handler (chalice.test
Client, so API Gateway's event shape and the app's route) against one moto
stack, emptied between examples. Hypothesis is derandomised: every run of
`make test` sends the same requests.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.store import from_item
from tests.conftest import ACCOUNT, REGION
from tests.reliability.support import lead_body

EXAMPLES = {"json": 700, "raw": 750, "form": 600, "preflight": 150}  # 2,200 requests in all


def property_settings(examples: int) -> settings:
    """Deterministic (derandomised, no example database), no deadline, an exact number of examples."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_contact",
    "best_time",
    "service",
    "tried_treatments",
    "message",
    "consent_to_contact",
    "consent_to_text",
    "privacy_notice_version",
    "submission_id",
    "started_at",
    "source_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "website",
    "cf-turnstile-response",
    "language",
]
LEAD_KEYS = {
    "pk",
    "sk",
    "entity",
    "lead_id",
    "created_at",
    "status",
    "priority",
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_contact",
    "best_time",
    "service",
    "tried_treatments",
    "message",
    "consent",
    "source",
    "started_at",
    "submission_key_hash",
    "dup_pk",
    "fingerprint",
    "spam_reasons",
    "notice_state",
    "notice_attempts",
    "notice_queue",
    "notice_due_at",
    "expires_at",
    "language",
    "ack_due_at",  # the speed-to-lead clock: when this lead is next due an escalation or reminder
}
CONSENT_KEYS = {"contact", "text", "notice_version", "at", "ip", "user_agent"}
SOURCE_KEYS = {"source_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"}
GUARD_KEYS = {
    "IDEM": {"pk", "sk", "lead_id", "fingerprint", "response", "language", "expires_at"},
    "DUP": {"pk", "sk", "lead_id", "response", "language", "expires_at"},
    "RATE": {"pk", "sk", "hits", "expires_at"},
}
# What the text clean-up removes from every field a visitor types.
UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufeff]")
HONEYPOT_MARK = "zq-honeypot-"

# -- strategies ---------------------------------------------------------------

ODD = st.sampled_from(
    [
        "\u200f",  # right-to-left mark
        "\u202e",  # right-to-left override
        "\u2066",  # left-to-right isolate
        "\u200b",  # zero-width space
        "\u200d",  # zero-width joiner
        "\ufeff",  # byte order mark
        "\x00",
        "\x1b[31m",
        "\x7f",
        "\u0301",  # combining acute accent
        "e\u0301",
        "\U0001f600",
        "\u00a0",
        "\u3000",
        "\r\n",
        "\t",
        "<script>alert(1)</script>",
        "<a href=x>",
        "'; DROP TABLE leads; --",
        "=cmd|' /C calc'!A0",
        "%00",
        "&amp;",
        "\\u0000",
    ]
)
SURROGATE = st.characters(categories=["Cs"])
odd_text = st.lists(st.one_of(ODD, SURROGATE, st.characters()), max_size=6).map("".join)
sized_text = st.sampled_from([1, 99, 100, 101, 127, 128, 129, 299, 300, 301, 1999, 2000, 2001, 9000, 17000]).flatmap(
    lambda n: st.sampled_from(["x", "é", "\u200b", "\U0001f600", "a b"]).map(lambda c: (c * n)[:n])
)
leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    sized_text,
    st.sampled_from(
        ["on", "true", "1", "phone", "text", "email", "2026-03-02T14:59:00Z", "1772463540000", "", "es", "EN", "es-MX"]
    ),
)
json_value = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.one_of(st.sampled_from(FIELDS), odd_text), inner, max_size=4)
    ),
    max_leaves=6,
)
# Header values as API Gateway can deliver them: any text but line breaks
# (which end a header) and lone surrogates (which no UTF-8 request can carry).
header_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=40)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/problem+json",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=ISO-8859-1",
            "multipart/form-data; boundary=----x",
            "text/plain",
            "text/html",
            "application/octet-stream",
            "image/png",
            "application/",
            "*/*",
            ";;",
            "",
        ]
    ),
    header_text,
)
idempotency_keys = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "k" * 128, "k" * 129, "k" * 4000, "\U0001f600" * 40, "a\x00b", "../../etc/passwd"]),
    header_text,
)
accept_languages = st.one_of(
    st.none(),
    st.sampled_from(["es-MX", "es-MX,es;q=0.9,en;q=0.8", "*;q=0.1", "es;q=abc", "es;q=0", ",;,", "en" * 600]),
    header_text,
)
origins = st.one_of(
    st.none(),
    st.sampled_from(["https://clinic.example", "https://clinic.example/", "null", "https://evil.example", ""]),
    header_text,
)


@st.composite
def lead_like(draw: Any, base: dict[str, Any]) -> dict[str, Any]:
    """A real submission with some fields changed, dropped or added (including the honeypot)."""
    body = dict(base)
    for name in draw(st.sets(st.sampled_from(sorted(body)), max_size=2)):
        body.pop(name)
    body.update(draw(st.dictionaries(st.sampled_from(FIELDS), st.one_of(odd_text, leaf, json_value), max_size=3)))
    body.update(draw(st.dictionaries(odd_text, leaf, max_size=2)))
    if draw(st.integers(0, 5)) == 0:
        body["website"] = HONEYPOT_MARK + draw(odd_text)
    return body


@st.composite
def nested(draw: Any) -> bytes:
    """Deeply nested JSON, inside a field or as the whole body."""
    depth = draw(st.sampled_from([10, 100, 500, 999, 1000, 1001, 3000, 7000, 20000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    inner = opener * depth + "1" + closer * depth
    if draw(st.booleans()):
        return ('{"first_name": "Avery", "message": ' + inner + "}").encode()
    return inner.encode()


raw_bodies = st.one_of(
    st.binary(max_size=300),
    nested(),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"",
            b"null",
            b"{",
            b'{"first_name": "Avery"',
            b'{"first_name": "\\ud800", "message": "\\udfff\\u0000"}',
            b"\xff\xfe{\x00}\x00",
            b'{"__proto__": {"admin": true}}',
            b'{"a": 1, "a": 2}',
            b"first_name=Avery&consent_to_contact=on",
            b"x" * (16 * 1024 + 1),
            b'{"message": "' + b"a" * (16 * 1024) + b'"}',
        ]
    ),
)


@st.composite
def form_bodies(draw: Any, base: dict[str, Any]) -> bytes:
    """A urlencoded form: a real one with changes, arbitrary fields, or raw query-string noise."""
    kind = draw(st.sampled_from(["lead", "lead", "fields", "raw"]))
    if kind == "raw":
        return draw(
            st.one_of(
                st.binary(max_size=200),
                st.sampled_from([b"%", b"%ZZ", b"a=%ff%fe", b"&&&==&", b"a=1&" * 250, b"=" * 300]),
            )
        )
    if kind == "fields":
        pairs = draw(st.lists(st.tuples(st.one_of(st.sampled_from(FIELDS), odd_text), odd_text), max_size=8))
    else:
        form = {k: str(v) for k, v in base.items() if k != "tried_treatments"}
        form["consent_to_contact"] = "on"
        for name, value in draw(st.dictionaries(st.sampled_from(FIELDS), odd_text, max_size=4)).items():
            form[name] = value
        if draw(st.integers(0, 5)) == 0:
            form["website"] = HONEYPOT_MARK + draw(odd_text)
        pairs = list(form.items()) + [("tried_treatments", t) for t in draw(st.lists(odd_text, max_size=3))]
    encoded = urlencode([(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in pairs])
    return encoded.encode("ascii")


# -- checking one answer ------------------------------------------------------


class Storage:
    """The lead table as moto holds it; emptied between examples so each starts clean."""

    def __init__(self, table: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self.name = table
        self.table = dynamodb_backends[ACCOUNT][REGION].get_table(table)

    def items(self) -> list[dict[str, Any]]:
        """Every stored item, as DynamoDB JSON turned into plain values."""
        stored = [item for by_range in self.table.items.values() for item in by_range.values()]
        return [from_item(item.to_json()["Attributes"]) for item in stored]

    def empty(self) -> bool:
        return not any(self.table.items.values())

    def clear(self) -> None:
        self.table.items.clear()


def check(answer: Any, media: str, storage: Storage) -> str:
    """Assert the properties every answer must have; returns 'accepted' or 'rejected'."""
    status = answer.status_code
    assert status < 500, (status, answer.body[:300])
    content_type = answer.headers.get("Content-Type", "")
    is_form = media.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    body = answer.body.decode("utf-8")
    if status == 201:
        assert content_type == "application/json"
        data = json.loads(body)
        assert data["status"] == "received" and len(data["lead_id"]) == 26
    elif status in (200, 303):
        assert is_form, status
        if status == 303:
            assert answer.headers["Location"] == "https://clinic.example/thank-you"
        else:
            assert content_type.startswith("text/html") and "<script" not in body.lower()
    else:
        assert 400 <= status < 500, status
        if content_type.startswith("text/html"):
            # A plain form post (no JavaScript) gets a page to read for every refusal.
            assert is_form, (status, content_type)
            assert "<script" not in body.lower()
        else:
            assert content_type == "application/problem+json", (status, content_type)
            problem = json.loads(body)
            assert problem["status"] == status
            assert isinstance(problem["title"], str) and problem["title"]
            assert isinstance(problem["detail"], str) and problem["detail"]
        assert storage.empty(), "a rejected request left something in the table"
        return "rejected"
    return "accepted"


def check_stored(storage: Storage, honeypot: str | None) -> None:
    """An accepted request stored one lead of the contract's fields, its guards and counters, and nothing else."""
    items = storage.items()
    kinds = sorted(item["sk"] for item in items)
    assert kinds in (["DUP", "LEAD", "RATE", "RATE"], ["DUP", "IDEM", "LEAD", "RATE", "RATE"]), kinds
    for item in items:
        if item["sk"] != "LEAD":
            assert set(item) == GUARD_KEYS[item["sk"]]
            continue
        assert set(item) <= LEAD_KEYS, set(item) - LEAD_KEYS
        assert item["language"] in ("en", "es")
        assert set(item["consent"]) <= CONSENT_KEYS
        assert set(item.get("source") or {}) <= SOURCE_KEYS
        for name in ("first_name", "last_name", "email", "message", "privacy_notice_version"):
            value = item.get(name) if name != "privacy_notice_version" else item["consent"].get("notice_version")
            if value is not None:
                assert not UNSAFE_TEXT.search(value), (name, value)
                assert unicodedata.is_normalized("NFC", value), (name, value)
        for value in (item.get("source") or {}).values():
            assert not UNSAFE_TEXT.search(value)
        assert len(item["first_name"]) <= 100 and len(item.get("message") or "") <= 2000
        assert len(item["consent"].get("user_agent", "")) <= 300
        if honeypot is not None:
            assert item["status"] == "spam" and "honeypot" in item["spam_reasons"]
    assert HONEYPOT_MARK not in repr(items)


def honeypot_of(data: Any) -> str | None:
    value = data.get("website") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.startswith(HONEYPOT_MARK) else None


def send(client: Any, body: bytes, headers: dict[str, str | None]) -> Any:
    return client.http.post("/leads", headers={k: v for k, v in headers.items() if v is not None}, body=body)


@pytest.fixture
def roomy(deps, clock, aws) -> Storage:
    """Rate limits out of the way, and direct access to the table's storage."""
    deps.settings = replace(deps.settings, rate_limit_window=10**9, rate_limit_day=10**9)
    return Storage(aws.table)


# -- the properties -----------------------------------------------------------


def test_arbitrary_json_never_gets_a_5xx_and_only_contract_fields_are_stored(client, roomy, clock):
    base = lead_body(clock)
    sent: list[str] = []
    statuses: set[int] = set()

    @property_settings(EXAMPLES["json"])
    @given(
        data=st.one_of(lead_like(base), json_value),
        ensure_ascii=st.booleans(),
        key=idempotency_keys,
        origin=st.sampled_from([None, "https://clinic.example"]),
        agent=st.one_of(st.none(), header_text, st.just("Mozilla/5.0 " * 40)),
    )
    def post_json(data: Any, ensure_ascii: bool, key: str | None, origin: str | None, agent: str | None) -> None:
        roomy.clear()
        body = json.dumps(data, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
        headers = {"Content-Type": "application/json", "Origin": origin, "Idempotency-Key": key, "User-Agent": agent}
        answer = send(client, body, headers)
        statuses.add(answer.status_code)
        outcome = check(answer, "application/json", roomy)
        if outcome == "accepted":
            check_stored(roomy, honeypot_of(data))
        sent.append(outcome)

    post_json()
    assert len(sent) >= EXAMPLES["json"]
    # The generated requests reach every answer, and enough are stored to check what is kept.
    assert {201, 400, 422} <= statuses, statuses
    assert sent.count("accepted") >= EXAMPLES["json"] // 20


def test_odd_bodies_and_headers_never_get_a_5xx(client, roomy, clock):
    sent: list[str] = []
    statuses: set[int] = set()

    @property_settings(EXAMPLES["raw"])
    @given(
        body=raw_bodies,
        content_type=content_types,
        key=idempotency_keys,
        origin=origins,
        agent=st.one_of(st.none(), header_text),
        accept=accept_languages,
    )
    def post_raw(
        body: bytes, content_type: str, key: str | None, origin: str | None, agent: str | None, accept: str | None
    ) -> None:
        roomy.clear()
        headers = {
            "Content-Type": content_type,
            "Origin": origin,
            "Idempotency-Key": key,
            "User-Agent": agent,
            "Accept-Language": accept,
        }
        answer = send(client, body, headers)
        statuses.add(answer.status_code)
        outcome = check(answer, content_type, roomy)
        if origin and origin.rstrip("/") != "https://clinic.example":
            assert answer.status_code == 403
        if outcome == "accepted":
            check_stored(roomy, None)
        sent.append(outcome)

    post_raw()
    assert len(sent) >= EXAMPLES["raw"]
    assert {400, 403, 413, 415, 422} <= statuses, statuses


def test_form_posts_never_get_a_5xx_and_their_error_page_escapes_everything(client, roomy, clock):
    base = lead_body(clock)
    sent: list[str] = []
    statuses: set[int] = set()

    @property_settings(EXAMPLES["form"])
    @given(
        body=form_bodies(base),
        content_type=st.sampled_from(
            ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8"]
        ),
        key=idempotency_keys,
    )
    def post_form(body: bytes, content_type: str, key: str | None) -> None:
        roomy.clear()
        headers = {"Content-Type": content_type, "Origin": "https://clinic.example", "Idempotency-Key": key}
        answer = send(client, body, headers)
        statuses.add(answer.status_code)
        outcome = check(answer, content_type, roomy)
        if outcome == "accepted":
            check_stored(roomy, HONEYPOT_MARK if HONEYPOT_MARK.encode() in body else None)
        sent.append(outcome)

    post_form()
    assert len(sent) >= EXAMPLES["form"]
    assert {303, 400, 422} <= statuses, statuses
    assert sent.count("accepted") >= EXAMPLES["form"] // 20


def test_preflight_with_any_headers_answers_204_and_allows_only_the_stage_origins(client):
    sent: list[int] = []

    @property_settings(EXAMPLES["preflight"])
    @given(origin=origins, method=header_text, requested=header_text)
    def preflight(origin: str | None, method: str, requested: str) -> None:
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": requested,
        }
        answer = client.http.options("/leads", headers={k: v for k, v in headers.items() if v is not None})
        sent.append(answer.status_code)
        assert answer.status_code == 204
        allowed = origin is not None and origin.rstrip("/") == "https://clinic.example"
        assert answer.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
        assert answer.headers["Vary"] == "Origin"

    preflight()
    assert len(sent) >= EXAMPLES["preflight"]
