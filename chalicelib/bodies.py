"""Reading what a POST /leads sent: its body as JSON or a plain form post, and whether it suggests a crisis."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from chalicelib.leads import MAX_BODY_BYTES
from chalicelib.screening import crisis_languages, lines_language
from chalicelib.words import language_for, supported

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


# A refusal reads at most this much of each end of a body over the limit:
# the start and the end of what the form sent, wherever it put its message
# and its `language`, at a bounded cost whatever arrives.
REFUSAL_READ_BYTES = MAX_BODY_BYTES
# The `language` field in raw bytes that could not be parsed: a JSON key (never
# the words "language" inside a string, where a quote is escaped), or a form field.
# (Compiled by `re` on first use: only a refusal needs them.)
_JSON_LANGUAGE = rb'(?<!\\)"language"\s*:\s*"([A-Za-z]{2,3})"'
_FORM_LANGUAGE = rb"(?:^|&)language=([A-Za-z]{2,3})(?=&|$)"


@dataclass(frozen=True)
class Sent:
    """What a refused submission said, read leniently: the crisis lists its words matched and its `language`."""

    crisis: frozenset[str]
    # The body's own `language` when it names one of the catalogues', else None.
    language: str | None

    def answer_language(self, accept_language: str) -> str:
        """The language to refuse it in: its `language`, else its Accept-Language, else the default."""
        return language_for(self.language, accept_language)

    def crisis_language(self, language: str, chosen: bool) -> str | None:
        """The language of the crisis lines to give with a refusal in `language`; None when there is no crisis."""
        return lines_language(self.crisis, language, chosen) if self.crisis else None


def read_sent(request: Any) -> Sent:
    """Read a refused submission's message and `language`, whatever its body (only refusals ask).

    Whatever went wrong, a person in crisis is answered with the crisis lines,
    in their language. A body within the limit is parsed as JSON or a form;
    one that cannot be (broken JSON, too many fields) or that is over the
    limit is screened as it came, at most its first and last
    REFUSAL_READ_BYTES, and its `language` found in those bytes.
    """
    raw = bytes(request.raw_body or b"")
    form = header(request.headers, "content-type").split(";")[0].strip().lower() == FORM
    ends = [raw] if len(raw) <= MAX_BODY_BYTES else [raw[:REFUSAL_READ_BYTES], raw[-REFUSAL_READ_BYTES:]]
    parsed = _parsed(ends[0], form) if len(ends) == 1 else None
    if parsed is not None:
        said, language = parsed
    else:
        said = [_as_text(end, form) for end in ends]
        language = _language_in(ends, form)
    return Sent(frozenset().union(*(crisis_languages(words) for words in said)), supported(language))


def _parsed(raw: bytes, form: bool) -> tuple[list[str], Any] | None:
    """The message (or the whole body) and the `language` of a body that parses; None when it does not."""
    decoded = raw.decode("utf-8", errors="replace")
    try:
        if form:
            fields = parse_qs(decoded, max_num_fields=200)
            return fields.get("message", [_as_text(raw, form)]), next(iter(fields.get("language", [])), None)
        data = json.loads(decoded)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    message = data.get("message")
    return [message if isinstance(message, str) else decoded], data.get("language")


def _as_text(raw: bytes, form: bool) -> str:
    decoded = raw.decode("utf-8", errors="replace")
    # A form's words are encoded ("quitarme+la+vida", "%C3%AD"): screened as typed.
    return unquote_plus(decoded) if form else decoded


def _language_in(ends: list[bytes], form: bool) -> str | None:
    """The `language` field in raw bytes that did not parse: the first, as a form is read; the last, as JSON is."""
    pattern = _FORM_LANGUAGE if form else _JSON_LANGUAGE
    found = [m.group(1).decode("ascii") for end in ends for m in re.finditer(pattern, end)]
    if not found:
        return None
    return found[0] if form else found[-1]
