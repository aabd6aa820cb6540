"""The web edge: body parsing, CORS, and mapping domain outcomes to HTTP."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.errors import KeyReused, RateLimited, StorageUnavailable, VerificationFailed
from chalicelib.leads import FIELD_LABELS, MAX_BODY_BYTES, InvalidSubmission
from chalicelib.logs import log_event
from chalicelib.screening import CRISIS_RESOURCES
from chalicelib.service import Accepted, Deps, RequestMeta, submit_lead
from chalicelib.settings import Settings

PROBLEM = "application/problem+json"
FORM = "application/x-www-form-urlencoded"
CHECKBOXES = ("consent_to_contact", "consent_to_text")
LIST_FIELDS = ("tried_treatments",)
TRUE_WORDS = {"on", "true", "1", "yes"}
RETRY_AFTER_UNAVAILABLE = "5"
# Every answer: never cached (it may echo what the visitor typed), never sniffed as another type.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
PAGE_STYLE = (
    "body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#1a1a1a;background:#fff}h1{font-size:1.5rem}a{color:#0b57d0}"
    ".crisis{border:3px solid #24457a;padding:1rem;border-radius:.5rem;background:#eff4fb}"
    ".crisis h2{color:#1a3460;margin-top:0}"
    ".crisis a{font-weight:700}li{margin:.4rem 0}"
)
# A page may load nothing and run nothing: only its one inline style, allowed by its hash.
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": (
        "default-src 'none'; "
        f"style-src 'sha256-{base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()}'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


class BadRequest(Exception):
    """A request the edge rejects before the service sees it."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def problem(
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem response."""
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    return _response(json.dumps(body), status, {"Content-Type": PROBLEM, **(headers or {})})


def _response(body: str, status: int, headers: dict[str, str]) -> Response:
    return Response(body=body, status_code=status, headers={**NO_STORE, **headers})


def _header(headers: Any, name: str) -> str:
    value = headers.get(name) if headers else None
    return value if isinstance(value, str) else ""


def origin_allowed(origin: str, settings: Settings) -> bool:
    """Exact match against the stage's allow-list."""
    return origin.rstrip("/") in settings.allowed_origins


def cors_headers(origin: str, settings: Settings) -> dict[str, str]:
    """CORS headers for an allowed origin; only `Vary` otherwise."""
    if origin and origin_allowed(origin, settings):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def preflight(request: Any, settings: Settings) -> Response:
    """Answer `OPTIONS /leads`."""
    origin = _header(request.headers, "origin")
    headers = cors_headers(origin, settings)
    if "Access-Control-Allow-Origin" in headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
                "Access-Control-Max-Age": "600",
            }
        )
    return _response("", 204, headers)


def method_not_allowed(request: Any, allowed: tuple[str, ...], settings: Settings | None = None) -> Response:
    """405 problem JSON with `Allow`, for a method a route does not take."""
    origin = _header(request.headers, "origin")
    cors = cors_headers(origin, settings) if settings is not None else {}
    methods = ", ".join(allowed)
    return problem(405, "Method not allowed", f"This address takes {methods} only.", {**cors, "Allow": methods})


def _form_fields(raw: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)
    except ValueError as exc:
        raise BadRequest(400, "Bad request", "The form data could not be read.") from exc
    data: dict[str, Any] = {}
    for key, values in pairs.items():
        if key in LIST_FIELDS:
            data[key] = values
        elif key in CHECKBOXES:
            data[key] = any(v.strip().lower() in TRUE_WORDS for v in values)
        else:
            data[key] = values[0]
    for key in CHECKBOXES:
        data.setdefault(key, False)
    return data


def read_body(content_type: str, raw: bytes) -> tuple[dict[str, Any], bool]:
    """Decode the body; returns (data, is_form) or raises BadRequest."""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "Request too large", f"The form data must be at most {MAX_BODY_BYTES // 1024} KiB.")
    media = content_type.split(";")[0].strip().lower()
    if media == FORM:
        return _form_fields(raw), True
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise BadRequest(
            415, "Unsupported media type", "Send the form as application/json or application/x-www-form-urlencoded."
        )
    try:
        data = json.loads(raw or b"")
    except (ValueError, RecursionError) as exc:
        raise BadRequest(400, "Malformed JSON", "The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise BadRequest(400, "Malformed request", "The request body must be a JSON object.")
    return data, False


def post_leads(request: Any, deps: Deps) -> Response:
    """Handle `POST /leads`: JSON from the snippet, or a plain HTML form post."""
    settings = deps.settings
    headers = request.headers
    origin = _header(headers, "origin")
    cors = cors_headers(origin, settings)
    # A plain form post is a browser without JavaScript: it gets a page to read, never JSON.
    is_form = _header(headers, "content-type").split(";")[0].strip().lower() == FORM
    # Every no-JavaScript failure page offers the clinic's number and the way back to the form.
    help_html = _help_html(settings, _header(headers, "referer")) if is_form else ""
    if origin and not origin_allowed(origin, settings):
        log_event("lead_rejected", outcome="origin_not_allowed", status_code=403)
        return _failure(
            is_form, 403, "Origin not allowed", "This form is not accepted from this website.", cors, help_html
        )
    try:
        data, is_form = read_body(_header(headers, "content-type"), request.raw_body or b"")
        key = _header(headers, "idempotency-key").strip() or None
        if key is not None and len(key) > 128:
            raise BadRequest(400, "Bad Idempotency-Key", "The Idempotency-Key header must be at most 128 characters.")
        context = request.context or {}
        meta = RequestMeta(
            source_ip=str((context.get("identity") or {}).get("sourceIp") or ""),
            user_agent=_header(headers, "user-agent"),
            idempotency_key=key,
            verification_token=str(data.get("cf-turnstile-response") or "") or None,
        )
        result = submit_lead(data, meta, deps)
    except BadRequest as exc:
        log_event("lead_rejected", outcome="bad_request", status_code=exc.status)
        return _failure(is_form, exc.status, exc.title, exc.detail, cors, help_html)
    except InvalidSubmission as exc:
        log_event("lead_rejected", outcome="invalid", status_code=422, count=len(exc.errors))
        if is_form:
            return html_page(422, "Please check the form", _errors_html(exc, data), cors)
        return problem(
            422,
            "Please check the form",
            "Some fields need your attention.",
            cors,
            errors=[e.model_dump() for e in exc.errors],
        )
    except KeyReused:
        return _failure(
            is_form,
            409,
            "Already submitted",
            "This submission was already received with different details. Reload the page to send a new one.",
            cors,
            help_html,
        )
    except RateLimited as exc:
        # Over the limit, a message that suggests a crisis still gets the crisis resources.
        return _failure(
            is_form,
            429,
            "Too many requests",
            "Too many submissions from this network. Please try again later, or call the clinic.",
            {**cors, "Retry-After": str(exc.retry_after)},
            help_html,
            crisis=exc.crisis,
        )
    except VerificationFailed:
        return _failure(
            is_form,
            403,
            "Verification failed",
            "We could not verify this submission. Please reload and try again.",
            cors,
            help_html,
        )
    except StorageUnavailable as exc:
        log_event("lead_unavailable", outcome="storage_unavailable", code=exc.code, status_code=503)
        return _failure(
            is_form,
            503,
            "Temporarily unavailable",
            # A timeout may come after DynamoDB stored the lead: the outcome is
            # unknown, and a retry (same key, or the same answers) lands on it.
            "We could not confirm your request was received. Sending it again is safe and will not make "
            "a second request. Please try again in a moment.",
            {**cors, "Retry-After": RETRY_AFTER_UNAVAILABLE},
            help_html,
        )
    return _accepted(result, is_form, settings, cors)


def _failure(
    is_form: bool,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str],
    extra_html: str = "",
    crisis: bool = False,
) -> Response:
    """Problem JSON for the snippet; for a plain form post, the same words as a page.

    With `crisis`, the JSON carries `crisis_resources` and the page leads with
    them. `extra_html` (the clinic's number, the link back to the form) ends the page.
    """
    if not is_form:
        return problem(status, title, detail, headers, **({"crisis_resources": CRISIS_RESOURCES} if crisis else {}))
    body = (
        f'{_crisis_section() if crisis else ""}<div role="alert"><p>{html.escape(detail)}</p></div>'
        "<p>Use your browser's <strong>Back</strong> button to return to the form; "
        f"what you typed should still be there.</p>{extra_html}"
    )
    return html_page(status, title, body, headers)


def _help_html(settings: Settings, referer: str) -> str:
    """The clinic's number (a tap-to-call link), its hours, and a link back to the form."""
    parts = []
    if settings.clinic_phone:
        link = html.escape(settings.clinic_phone_link)
        parts.append(
            f'<p>You can also call the clinic at <a href="{link}">{html.escape(settings.clinic_phone)}</a>. '
            f"{html.escape(settings.office_hours.sentence())}</p>"
        )
    else:
        parts.append(f"<p>{html.escape(settings.office_hours.sentence())}</p>")
    form = _form_url(settings, referer)
    if form:
        parts.append(f'<p><a href="{html.escape(form)}">Go back to the form</a></p>')
    return "".join(parts)


def _form_url(settings: Settings, referer: str) -> str:
    """FORM_URL when set; else the page that posted, if it is on an allowed origin (never a foreign site)."""
    if settings.form_url:
        return settings.form_url
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(referer.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return ""
    if not origin_allowed(f"{parts.scheme}://{parts.netloc}", settings):
        return ""
    # Only where the form is, never what its address carried (a query can hold personal data).
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _accepted(result: Accepted, is_form: bool, settings: Settings, cors: dict[str, str]) -> Response:
    headers = dict(cors)
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    if not is_form:
        headers["Content-Type"] = "application/json"
        return _response(result.text or json.dumps(result.body), 201, headers)
    if result.crisis:
        return html_page(200, "We received your request", _crisis_html(result.body["message"]), headers)
    headers["Location"] = settings.thank_you_url
    headers["Content-Type"] = "text/plain; charset=utf-8"
    return _response("", 303, headers)


def html_page(status: int, title: str, body_html: str, headers: dict[str, str] | None = None) -> Response:
    """A small, accessible, self-contained HTML page."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1>{body_html}</main></body></html>"
    )
    return Response(
        body=page,
        status_code=status,
        headers={**(headers or {}), **PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8"},
    )


def _errors_html(exc: InvalidSubmission, data: dict[str, Any]) -> str:
    items = []
    for err in exc.errors:
        label = FIELD_LABELS.get(err.field, err.field)
        typed = data.get(err.field)
        echo = ""
        if isinstance(typed, str) and typed.strip():
            echo = f" <span>(you entered: <q>{html.escape(typed[:200])}</q>)</span>"
        items.append(f"<li><strong>{html.escape(label)}</strong>: {html.escape(err.message)}{echo}</li>")
    return (
        '<div role="alert"><p>We could not send your request yet. Please fix the following:</p>'
        f"<ul>{''.join(items)}</ul></div>"
        "<p>Use your browser's <strong>Back</strong> button to return to the form; "
        "what you typed should still be there.</p>"
    )


def crisis_resources_html() -> str:
    """The crisis resources as a list with tap-to-call and tap-to-text links."""
    items = []
    for res in CRISIS_RESOURCES:
        links = []
        if "call" in res:
            links.append(f'<a href="{html.escape(res["call"])}">Call</a>')
        if "text" in res:
            links.append(f'<a href="{html.escape(res["text"])}">Text</a>')
        items.append(
            f"<li><strong>{html.escape(res['name'])}</strong>: {html.escape(res['how'])}. {' · '.join(links)}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def _crisis_section() -> str:
    return (
        '<section class="crisis" role="alert" aria-labelledby="crisis-title">'
        '<h2 id="crisis-title">If you are in crisis, help is available now</h2>'
        f"{crisis_resources_html()}</section>"
    )


def _crisis_html(message: str) -> str:
    return f"{_crisis_section()}<p>{html.escape(message)}</p>"


def guarded(view: Callable[[], Response], request: Any = None) -> Response:
    """Run a view; any unexpected error becomes a bare 500 (no trace, no input): a page for a form post."""
    try:
        return view()
    except Exception as exc:  # noqa: BLE001 - the last line of defence at the edge
        log_event("unhandled_error", code=type(exc).__name__, status_code=500)
        is_form = request is not None and _header(request.headers, "content-type").split(";")[0].strip().lower() == FORM
        return _failure(is_form, 500, "Something went wrong", "Please try again, or call the clinic.", {})
