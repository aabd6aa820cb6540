"""Reading what a POST /leads sent: its body as JSON or a plain form post, and whether it suggests a crisis."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from chalicelib.leads import MAX_BODY_BYTES
from chalicelib.screening import suggests_crisis
from chalicelib.words import language_for

FORM = "application/x-www-form-urlencoded"
CHECKBOXES = ("consent_to_contact", "consent_to_text")
LIST_FIELDS = ("tried_treatments",)
TRUE_WORDS = {"on", "true", "1", "yes"}


class BadRequest(Exception):
    """A request the edge rejects before the service sees it: a status and the code of its words."""

    def __init__(self, status: int, code: str, **values: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.values = status, code, values


def header(headers: Any, name: str) -> str:
    """A request header as a string ('' when absent or not text)."""
    value = headers.get(name) if headers else None
    return value if isinstance(value, str) else ""


def _form_fields(raw: bytes) -> dict[str, Any]:
    try:
        pairs = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)
    except ValueError as exc:
        raise BadRequest(400, "problem.form_unreadable") from exc
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
        raise BadRequest(413, "problem.too_large", kib=MAX_BODY_BYTES // 1024)
    media = content_type.split(";")[0].strip().lower()
    if media == FORM:
        return _form_fields(raw), True
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise BadRequest(415, "problem.unsupported_media_type")
    try:
        data = json.loads(raw or b"")
    except (ValueError, RecursionError) as exc:
        raise BadRequest(400, "problem.malformed_json") from exc
    if not isinstance(data, dict):
        raise BadRequest(400, "problem.not_an_object")
    return data, False


def _sent(request: Any) -> tuple[list[str], Any]:
    """What a refused submission said (its message, or the whole body) and the language it asked for, read leniently."""
    raw = bytes(request.raw_body or b"")[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
    said: list[str] = [raw]
    language: Any = None
    try:
        if header(request.headers, "content-type").split(";")[0].strip().lower() == FORM:
            fields = parse_qs(raw, max_num_fields=200)
            said = fields.get("message", said)
            language = next(iter(fields.get("language", [])), None)
        else:
            data = json.loads(raw)
            if isinstance(data, dict):
                if isinstance(data.get("message"), str):
                    said = [data["message"]]
                language = data.get("language")
    except (ValueError, RecursionError):
        pass  # not JSON or a form: screened as it came, in the header's language
    return said, language


def sent_in_crisis(request: Any) -> bool:
    """Whether the message the visitor sent suggests a crisis, read from the raw body of a refused submission.

    Only refusals ask (an accepted submission is screened once, by the service):
    whatever went wrong, a person in crisis is answered with the crisis lines.
    A body that cannot be read as JSON or a form is screened as it came.
    """
    said, _ = _sent(request)
    return any(suggests_crisis(words) for words in said)


def sent_language(request: Any) -> str:
    """The language to refuse a request in: its form's `language`, else its Accept-Language, else the default."""
    _, language = _sent(request)
    return language_for(language, header(request.headers, "accept-language"))
