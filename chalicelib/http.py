"""The web edge: body parsing, CORS, and mapping domain outcomes to HTTP."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
from collections.abc import Callable
from typing import Any

from chalice.app import Response

from chalicelib.bodies import FORM, BadRequest, read_body, read_sent
from chalicelib.bodies import header as _header
from chalicelib.errors import KeyReused, RateLimited, StorageUnavailable, VerificationFailed
from chalicelib.leads import LABEL_CODES, InvalidSubmission
from chalicelib.logs import log_event
from chalicelib.screening import crisis_resources
from chalicelib.service import Accepted, Deps, RequestMeta, submit_lead
from chalicelib.settings import Settings
from chalicelib.words import DEFAULT_LANGUAGE, language_for, negotiate, supported, text

PROBLEM = "application/problem+json"
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


class _Markup(str):
    """HTML the page made itself (already escaped), put into the words as it is."""


def _html(language: str, code: str, **values: Any) -> str:
    """The words for `code` as HTML text: the catalogue's words and every plain value escaped."""
    safe = {k: v if isinstance(v, _Markup) else html.escape(str(v)) for k, v in values.items()}
    return text(language, code, escape=_escape_words, **safe)


def _escape_words(words: str) -> str:
    # The catalogue's words only ever stand between tags, never in an attribute.
    return html.escape(words, quote=False)


def _problem_words(language: str, code: str, **values: Any) -> tuple[str, str]:
    """A problem's title and detail (`<code>.title`, `<code>.detail`) in `language`."""
    return text(language, f"{code}.title", **values), text(language, f"{code}.detail", **values)


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
    language = negotiate(_header(request.headers, "accept-language"))
    title, detail = _problem_words(language, "problem.method_not_allowed", methods=methods)
    answer = problem(405, title, detail, {**cors, "Allow": methods})
    if getattr(request, "method", None) == "HEAD":  # the same answer without its content, as HEAD asks
        answer.body = ""
    return answer


def post_leads(request: Any, deps: Deps) -> Response:
    """Handle `POST /leads`: JSON from the snippet, or a plain HTML form post."""
    settings = deps.settings
    headers = request.headers
    origin = _header(headers, "origin")
    cors = cors_headers(origin, settings)
    # A plain form post is a browser without JavaScript: it gets a page to read, never JSON.
    is_form = _header(headers, "content-type").split(";")[0].strip().lower() == FORM
    referer = _header(headers, "referer")

    def help_html(language: str) -> str:
        # Every no-JavaScript failure page offers the clinic's number and the way back to the form.
        return _help_html(settings, referer, language) if is_form else ""

    if origin and not origin_allowed(origin, settings):
        log_event("lead_rejected", outcome="origin_not_allowed", status_code=403)
        return _unread_failure(request, is_form, 403, "problem.origin_not_allowed", cors, help_html)
    try:
        data, is_form = read_body(_header(headers, "content-type"), request.raw_body or b"")
    except BadRequest as exc:
        log_event("lead_rejected", outcome="bad_request", status_code=exc.status)
        return _unread_failure(request, is_form, exc.status, exc.code, cors, help_html, exc.values)
    # The form's `language`, else Accept-Language: every answer below is said in it.
    language = language_for(data.get("language"), _header(headers, "accept-language"))
    chosen = supported(data.get("language")) is not None

    def crisis_lines() -> str | None:
        # Only a refusal reads the body again: the language of its crisis lines, if it suggests a crisis.
        return read_sent(request).crisis_language(language, chosen)

    try:
        key = _header(headers, "idempotency-key").strip() or None
        if key is not None and len(key) > 128:
            raise BadRequest(400, "problem.bad_idempotency_key", limit=128)
        context = request.context or {}
        meta = RequestMeta(
            source_ip=str((context.get("identity") or {}).get("sourceIp") or ""),
            user_agent=_header(headers, "user-agent"),
            idempotency_key=key,
            verification_token=str(data.get("cf-turnstile-response") or "") or None,
            language=language,
        )
        result = submit_lead(data, meta, deps)
    except BadRequest as exc:
        log_event("lead_rejected", outcome="bad_request", status_code=exc.status)
        return _failure(
            is_form,
            exc.status,
            exc.code,
            cors,
            help_html(language),
            language=language,
            values=exc.values,
            crisis_language=crisis_lines(),
        )
    except InvalidSubmission as exc:
        log_event("lead_rejected", outcome="invalid", status_code=422, count=len(exc.errors))
        title, detail = _problem_words(language, "problem.invalid")
        lines = crisis_lines()
        if is_form:
            section = _crisis_section(lines, language) if lines else ""
            return html_page(422, title, section + _errors_html(exc, data, language), cors, language)
        return problem(
            422,
            title,
            detail,
            cors,
            errors=[{"field": e.field, "message": e.message} for e in exc.errors],
            **({"crisis_resources": crisis_resources(lines)} if lines else {}),
        )
    except KeyReused:
        return _failure(
            is_form,
            409,
            "problem.key_reused",
            cors,
            help_html(language),
            language=language,
            crisis_language=crisis_lines(),
        )
    except RateLimited as exc:
        # Over the limit, a message that suggests a crisis still gets the crisis resources.
        return _failure(
            is_form,
            429,
            "problem.rate_limited",
            {**cors, "Retry-After": str(exc.retry_after)},
            help_html(language),
            crisis=exc.crisis,
            language=language,
            crisis_language=exc.crisis_language,
        )
    except VerificationFailed:
        return _failure(
            is_form,
            403,
            "problem.verification_failed",
            cors,
            help_html(language),
            language=language,
            crisis_language=crisis_lines(),
        )
    except StorageUnavailable as exc:
        log_event("lead_unavailable", outcome="storage_unavailable", code=exc.code, status_code=503)
        return _failure(
            is_form,
            503,
            # A timeout may come after DynamoDB stored the lead: the outcome is
            # unknown, and a retry (same key, or the same answers) lands on it.
            "problem.unavailable",
            {**cors, "Retry-After": RETRY_AFTER_UNAVAILABLE},
            help_html(language),
            language=language,
            crisis_language=crisis_lines(),
        )
    return _accepted(result, is_form, settings, cors)


def _unread_failure(
    request: Any,
    is_form: bool,
    status: int,
    code: str,
    headers: dict[str, str],
    help_html: Callable[[str], str],
    values: dict[str, Any] | None = None,
) -> Response:
    """A refusal before the body was read: its language and any crisis found in it leniently."""
    sent = read_sent(request)
    language = sent.answer_language(_header(request.headers, "accept-language"))
    return _failure(
        is_form,
        status,
        code,
        headers,
        help_html(language),
        language=language,
        values=values,
        crisis_language=sent.crisis_language(language, chosen=sent.language is not None),
    )


def _failure(
    is_form: bool,
    status: int,
    code: str,
    headers: dict[str, str],
    extra_html: str = "",
    crisis: bool = False,
    language: str = DEFAULT_LANGUAGE,
    values: dict[str, Any] | None = None,
    crisis_language: str | None = None,
) -> Response:
    """Problem JSON for the snippet; for a plain form post, the same words as a page.

    `code` names the problem's title and detail in the catalogue. With
    `crisis_language` (the crisis lines in it), or `crisis` (in `language`),
    the JSON carries `crisis_resources` and the page leads with them.
    `extra_html` (the clinic's number, the link back to the form) ends the page.
    """
    title, detail = _problem_words(language, code, **(values or {}))
    lines = crisis_language or (language if crisis else None)
    if not is_form:
        resources = {"crisis_resources": crisis_resources(lines)} if lines else {}
        return problem(status, title, detail, headers, **resources)
    body = (
        f'{_crisis_section(lines, language) if lines else ""}<div role="alert"><p>{html.escape(detail)}</p></div>'
        f"{_back_hint(language)}{extra_html}"
    )
    return html_page(status, title, body, headers, language)


def _back_hint(language: str) -> str:
    back = _Markup(f"<strong>{_html(language, 'page.back_button')}</strong>")
    return f"<p>{_html(language, 'page.back_hint', back=back)}</p>"


def _help_html(settings: Settings, referer: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The clinic's number (a tap-to-call link), its hours, and a link back to the form."""
    parts = []
    hours = settings.office_hours.sentence(language)
    if settings.clinic_phone:
        link = html.escape(settings.clinic_phone_link)
        phone = _Markup(f'<a href="{link}">{html.escape(settings.clinic_phone)}</a>')
        parts.append(f"<p>{_html(language, 'page.call_clinic', phone=phone, hours=hours)}</p>")
    else:
        parts.append(f"<p>{html.escape(hours)}</p>")
    form = _form_url(settings, referer, language)
    if form:
        parts.append(f'<p><a href="{html.escape(form)}">{_html(language, "page.back_to_form")}</a></p>')
    return "".join(parts)


def _form_url(settings: Settings, referer: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The stage's form page in this language when set; else the page that posted, on an allowed origin only."""
    configured = settings.form_url_for(language)
    if configured:
        return configured
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
    # Said in the answer's own language: a replay's is the first answer's, whatever this request asked for.
    language = result.language
    headers = dict(cors)
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    if not is_form:
        headers["Content-Type"] = "application/json"
        return _response(result.text or json.dumps(result.body), 201, headers)
    if result.crisis:
        title = text(language, "page.received.title")
        page = _crisis_html(result.body["message"], result.crisis_language, language)
        return html_page(200, title, page, headers, language)
    headers["Location"] = settings.thank_you_for(language)
    headers["Content-Type"] = "text/plain; charset=utf-8"
    return _response("", 303, headers)


def html_page(
    status: int,
    title: str,
    body_html: str,
    headers: dict[str, str] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> Response:
    """A small, accessible, self-contained HTML page, marked as written in `language`."""
    page = (
        f'<!doctype html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
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


def _errors_html(exc: InvalidSubmission, data: dict[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    items = []
    for err in exc.errors:
        code = LABEL_CODES.get(err.field)
        label = _Markup(f"<strong>{html.escape(text(language, code) if code else err.field)}</strong>")
        typed = data.get(err.field)
        echo = ""
        if isinstance(typed, str) and typed.strip():
            quoted = _Markup(f"<q>{html.escape(typed[:200])}</q>")
            echo = f" <span>{_html(language, 'page.you_entered', typed=quoted)}</span>"
        items.append(f"<li>{_html(language, 'page.invalid.item', label=label, message=err.message)}{echo}</li>")
    return (
        f'<div role="alert"><p>{_html(language, "page.invalid.lead")}</p>'
        f"<ul>{''.join(items)}</ul></div>{_back_hint(language)}"
    )


def crisis_resources_html(language: str = DEFAULT_LANGUAGE) -> str:
    """The crisis resources as a list with tap-to-call and tap-to-text links."""
    items = []
    for res in crisis_resources(language):
        links = []
        if "call" in res:
            links.append(f'<a href="{html.escape(res["call"])}">{_html(language, "crisis.call")}</a>')
        if "text" in res:
            links.append(f'<a href="{html.escape(res["text"])}">{_html(language, "crisis.text")}</a>')
        name = _Markup(f"<strong>{html.escape(res['name'])}</strong>")
        item = _html(language, "crisis.item", name=name, how=res["how"], links=_Markup(" · ".join(links)))
        items.append(f"<li>{item}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _crisis_section(language: str = DEFAULT_LANGUAGE, page_language: str | None = None) -> str:
    """The crisis lines in `language`; marked as such when the page around them is in another."""
    marked = f' lang="{html.escape(language)}"' if page_language not in (None, language) else ""
    return (
        f'<section class="crisis" role="alert" aria-labelledby="crisis-title"{marked}>'
        f'<h2 id="crisis-title">{_html(language, "crisis.title")}</h2>'
        f"{crisis_resources_html(language)}</section>"
    )


def _crisis_html(message: str, lines: str, language: str = DEFAULT_LANGUAGE) -> str:
    return f"{_crisis_section(lines, language)}<p>{html.escape(message)}</p>"


def guarded(view: Callable[[], Response], request: Any = None) -> Response:
    """Run a view; any unexpected error becomes a bare 500 (no trace, no input): a page for a form post."""
    try:
        return view()
    except Exception as exc:  # noqa: BLE001 - the last line of defence at the edge
        log_event("unhandled_error", level=logging.ERROR, code=type(exc).__name__, status_code=500)
        if request is None:
            return _failure(False, 500, "problem.unexpected", {})
        is_form = _header(request.headers, "content-type").split(";")[0].strip().lower() == FORM
        return _unread_failure(request, is_form, 500, "problem.unexpected", {}, lambda language: "")
