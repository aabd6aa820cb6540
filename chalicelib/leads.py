"""The domain rules of a lead, and the validation of a submission.

The rules of what a visitor may send are the pydantic model's
(chalicelib/submission.py, `LeadSubmission`), which validates every
submission with a mistake or anything out of the ordinary. A plain,
well-formed submission, as the form's snippet or a plain form post sends
it, is checked here without loading pydantic (`_quick`): importing pydantic
and building the model is some 100 ms of CPU, most of the excess of a cold
start over a minimal function, and the first visitor of every cold
container waits for it. `_quick` applies the same cleaning functions and limits, and answers
only when it is sure: when in doubt it leaves the submission to the model.
tests/unit/test_quick_validation.py holds the two to the same result.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from chalicelib.text import clean_block, clean_line, has_visible_letter
from chalicelib.words import DEFAULT_LANGUAGE, text

MAX_BODY_BYTES = 16 * 1024
# The window a form's start time must fall in. It comes from the visitor's
# clock, so one running fast (a day at most) is still accepted.
EARLIEST_START = datetime(2000, 1, 1, tzinfo=UTC)
START_AHEAD = timedelta(days=1)


class Status(StrEnum):
    """Where a lead is in the clinic's work."""

    NEW = "new"
    CONTACTED = "contacted"
    SCHEDULED = "scheduled"
    CLOSED = "closed"
    DECLINED = "declined"
    SPAM = "spam"


class Priority(StrEnum):
    """How fast staff should act."""

    NORMAL = "normal"
    URGENT = "urgent"


Channel = Literal["phone", "text", "email"]
BestTime = Literal["morning", "afternoon", "evening", "any"]
Service = Literal["ketamine_infusion", "ketamine_assisted_psychotherapy", "consultation", "other"]
Treatment = Literal["therapy", "ssri_snri", "other_medication", "tms", "esketamine", "none"]
# The languages a visitor can be answered in: one catalogue each in chalicelib/data/messages/.
Language = Literal["en", "es"]


# The visitor's own answers, stored on a lead as given (after validation).
ANSWER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "preferred_contact",
    "best_time",
    "service",
    "tried_treatments",
    "message",
)
# Where the visitor came from, stored under the lead's `source`.
SOURCE_FIELDS = ("source_page", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _line(value: Any) -> Any:
    return clean_line(value) if isinstance(value, str) else value


def _optional_line(value: Any) -> Any:
    return _blank_to_none(_line(value))


def _block(value: Any) -> Any:
    return _blank_to_none(clean_block(value)) if isinstance(value, str) else value


def _choice(value: Any) -> Any:
    return _blank_to_none(value.strip().lower()) if isinstance(value, str) else value


def _none_tried() -> list[Treatment]:
    # Not `list`: pydantic inspects a default factory's signature, and for a
    # builtin that means compiling the tokenize module's regexes (3-4 ms at import).
    return []


# Each field's limits, as the model declares them (tests/unit/test_quick_validation.py
# checks these against LeadSubmission.model_fields).
MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 40,
    "message": 2000,
    "privacy_notice_version": 32,
    "submission_id": 128,
    **dict.fromkeys(SOURCE_FIELDS, 300),
}
MAX_TREATMENTS = 6
CHOICES: dict[str, tuple[str, ...]] = {
    "preferred_contact": ("phone", "text", "email"),
    "best_time": ("morning", "afternoon", "evening", "any"),
    "service": ("ketamine_infusion", "ketamine_assisted_psychotherapy", "consultation", "other"),
    "tried_treatments": ("therapy", "ssri_snri", "other_medication", "tms", "esketamine", "none"),
    "language": ("en", "es"),
}
DEFAULTS: dict[str, Any] = {"best_time": "any", "service": "consultation", "consent_to_text": False}
_OPTIONAL_LINES = ("last_name", "privacy_notice_version", "submission_id", *SOURCE_FIELDS)


def treatment_list(value: Any) -> Any:
    """`tried_treatments` as a list of lower-case choices (one given alone, as a form post sends it)."""
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if isinstance(value, list):
        return [v.strip().lower() if isinstance(v, str) else v for v in value]
    return value


def e164(value: str, region: str) -> str:
    """A phone number in E.164 form, read as a number of `region` unless it starts with +; ValueError if invalid."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError("invalid phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid phone")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def epoch_start(value: Any) -> Any:
    """`started_at` as the form sends it (milliseconds since 1970) made a time; other values as they are."""
    if isinstance(value, bool):
        raise ValueError("not a time")
    if isinstance(value, (int, float)):
        if not 0 < value < 1e14:
            raise ValueError("not a time")
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if isinstance(value, str) and value.strip().isdigit():
        return _epoch_ms_str(value)
    return _blank_to_none(value)


def aware_start(value: datetime | None) -> datetime | None:
    """`started_at` in UTC, within the window a real form's clock gives; ValueError otherwise."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        # 0001-01-01T00:00+14:00 is a valid ISO time whose UTC is before year 1.
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("not a time") from None
    if not EARLIEST_START <= value <= datetime.now(UTC) + START_AHEAD:
        raise ValueError("not a time")
    return value


class Submission(NamedTuple):
    """A validated, cleaned submission, as the service takes it (the model's fields, in its order)."""

    first_name: str
    last_name: str | None
    email: str | None
    phone: str | None
    preferred_contact: str
    best_time: str
    service: str
    tried_treatments: list[str]
    message: str | None
    consent_to_contact: bool
    consent_to_text: bool
    privacy_notice_version: str | None
    submission_id: str | None
    started_at: datetime | None
    source_page: str | None
    referrer: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_term: str | None
    utm_content: str | None
    # How to speak to the visitor, not what they asked: no part of either fingerprint.
    language: str | None
    # Honeypot: hidden from people. Only whether it was filled is kept; never dumped.
    website: str | None

    def dumped(self) -> dict[str, Any]:
        """Every field but the honeypot, as JSON values (the time as pydantic writes it: ...T12:00:00Z)."""
        body = self._asdict()
        del body["website"]
        if self.started_at is not None:
            body["started_at"] = self.started_at.isoformat().replace("+00:00", "Z")
        body["tried_treatments"] = list(self.tried_treatments)
        return body

    def answers(self) -> dict[str, Any]:
        """The visitor's own answers (ANSWER_FIELDS), as stored on the lead."""
        body = self.dumped()
        return {name: body[name] for name in ANSWER_FIELDS}

    def source(self) -> dict[str, Any]:
        """Where the visitor came from (SOURCE_FIELDS), the ones given."""
        body = self.dumped()
        return {name: body[name] for name in SOURCE_FIELDS if body[name] is not None}

    def idempotency_fingerprint(self) -> str:
        """Hash of everything the visitor sent, to tell a replay from a reuse of its key."""
        body = self.dumped()
        for name in ("submission_id", "language"):
            del body[name]
        return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=False))

    def duplicate_fingerprint(self) -> str:
        """Hash of every answer and consent, for the duplicate window: equal only for the same submission.

        Left out is only what changes when the same form is sent again from a
        reloaded page (its key, start time and source page); a change to any
        answer is a new request and must never be swallowed as a replay.
        The same answers from the form in another language are the same
        request: the visitor gets the first answer, in its language.
        """
        body = self.dumped()
        for name in ("submission_id", "started_at", "language", *SOURCE_FIELDS):
            del body[name]
        return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=False))


def _epoch_ms_str(value: str) -> datetime:
    ms = int(value.strip())
    if not 0 < ms < 1e14:
        raise ValueError("not a time")
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# Errors in words a visitor understands
# ---------------------------------------------------------------------------
# The rules name each mistake by a code; the words are in the catalogue
# (chalicelib/data/messages/), rendered in the visitor's language at the edge.

LABEL_CODES = {
    "first_name": "label.first_name",
    "last_name": "label.last_name",
    "email": "label.email",
    "phone": "label.phone",
    "preferred_contact": "label.preferred_contact",
    "best_time": "label.best_time",
    "service": "label.service",
    "tried_treatments": "label.tried_treatments",
    "message": "label.message",
    "consent_to_contact": "label.consent_to_contact",
    "consent_to_text": "label.consent_to_text",
    "privacy_notice_version": "label.privacy_notice_version",
    "submission_id": "label.submission_id",
    "started_at": "label.started_at",
    "language": "label.language",
}

# A field with words of its own says them for any mistake in it.
_FIELD_CODES = {
    "first_name": "field.first_name.required",
    "email": "field.email.invalid",
    "phone": "field.phone.invalid",
    "preferred_contact": "field.preferred_contact.invalid",
    "best_time": "field.best_time.invalid",
    "service": "field.service.invalid",
    "tried_treatments": "field.tried_treatments.invalid",
    "consent_to_contact": "field.consent_to_contact.required",
    "consent_to_text": "field.consent_to_text.required",
    "started_at": "field.started_at.invalid",
    "language": "field.language.invalid",
}
_MISSING_CODES = {"preferred_contact": "field.preferred_contact.required"}
# A mistake with words of its own, whatever the field's other words.
_KIND_CODES = {("first_name", "no_visible_letter"): "field.first_name.no_visible_letter"}


@dataclass(frozen=True)
class FieldError:
    """One bad field and the code of what to do about it, said in `language` when read."""

    field: str
    code: str
    values: dict[str, Any] = dataclass_field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE

    @property
    def message(self) -> str:
        """The words for this mistake, in the request's language."""
        return text(self.language, self.code, **self.values)


class InvalidSubmission(Exception):
    """The submission broke one or more field rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def _code_for(field_name: str, err: Any) -> tuple[str, dict[str, Any]]:
    kind = err["type"]
    limit = (err.get("ctx") or {}).get("max_length")
    if kind in {"string_too_long", "too_long"} and limit is not None:
        if field_name == "first_name":
            return "field.first_name.too_long", {"limit": limit}
        return ("field.any.too_many" if kind == "too_long" else "field.any.too_long"), {"limit": limit}
    if (field_name, kind) in _KIND_CODES:
        return _KIND_CODES[field_name, kind], {}
    if kind == "missing" and field_name in _MISSING_CODES:
        return _MISSING_CODES[field_name], {}
    if field_name in _FIELD_CODES:
        return _FIELD_CODES[field_name], {}
    return ("field.any.required" if kind == "missing" else "field.any.invalid"), {}


def validate_submission(data: Any, phone_region: str = "US", language: str = DEFAULT_LANGUAGE) -> Submission:
    """Validate a decoded body, or raise InvalidSubmission naming each bad field (its words in `language`)."""
    quick = _quick(data, phone_region)
    if quick is not None and not _cross_field_errors(data, quick):
        return quick
    from pydantic import ValidationError

    from chalicelib.submission import LeadSubmission

    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    submission: Submission | None = None
    try:
        submission = LeadSubmission.model_validate(data, context={"phone_region": phone_region}).submission()
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            loc = err["loc"]
            name = str(loc[0]) if loc else "body"
            errors.setdefault(name, _code_for(name, err))
    for name, code in _cross_field_errors(data, submission).items():
        errors.setdefault(name, (code, {}))
    if errors:
        raise InvalidSubmission([FieldError(k, code, values, language) for k, (code, values) in errors.items()])
    assert submission is not None
    return submission


class _Unsure(Exception):
    """A value `_quick` does not read with certainty: the model decides."""


def _quick(data: Any, phone_region: str) -> Submission | None:
    """The submission, validated as the model would, when every field is plainly valid; else None.

    Each field is a string, boolean, list of strings or number exactly where
    the model wants one (as JSON and a form post, read by chalicelib/bodies.py,
    give them), cleaned by the model's own functions and held to its limits.
    Anything else (a mistake, another type, a start time as a date) is not
    judged here.
    """
    if not isinstance(data, dict):
        return None
    try:
        first_name = _text(_line(data.get("first_name")), "first_name")
        if first_name is None or not has_visible_letter(first_name):
            return None
        fields: dict[str, Any] = {name: _text(_optional_line(data.get(name)), name) for name in _OPTIONAL_LINES}
        email = _text(_optional_line(data.get("email")), "email")
        phone = _text(_optional_line(data.get("phone")), "phone")
        return Submission(
            first_name=first_name,
            email=None if email is None else _sure(_email, email),
            phone=None if phone is None else _sure(e164, phone, phone_region),
            preferred_contact=_choice_of(data, "preferred_contact"),
            best_time=_choice_of(data, "best_time"),
            service=_choice_of(data, "service"),
            tried_treatments=_treatments(data),
            message=_text(_block(data.get("message")), "message"),
            consent_to_contact=_consent(data),
            consent_to_text=_flag_of(data, "consent_to_text"),
            started_at=_start(data),
            language=_language(data.get("language")),
            website=_honeypot(data.get("website")),
            **fields,
        )
    except _Unsure:
        return None


def _email(address: str) -> str:
    from chalicelib.emails import normalized

    return normalized(address)


def _sure(check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except ValueError:
        raise _Unsure() from None


def _text(value: Any, name: str) -> str | None:
    # After the model's own cleaning (a before-validator): None, or a string
    # within the field's limit once stripped (the model strips every string).
    if value is None:
        return None
    if type(value) is not str:
        raise _Unsure()
    stripped = str(value).strip()
    if not stripped or len(stripped) > MAX_LENGTHS[name]:
        raise _Unsure()
    return stripped


def _choice_of(data: dict[str, Any], name: str) -> str:
    if name not in data:
        if name in DEFAULTS:
            return str(DEFAULTS[name])
        raise _Unsure()
    value = data[name]
    choice = _choice(value) if type(value) is str else None
    if choice not in CHOICES[name]:
        raise _Unsure()
    return str(choice)


def _treatments(data: dict[str, Any]) -> list[str]:
    if "tried_treatments" not in data:
        return []
    value = data["tried_treatments"]
    if type(value) is not str and not (type(value) is list and all(type(v) is str for v in value)):
        raise _Unsure()
    chosen = treatment_list(value)
    if len(chosen) > MAX_TREATMENTS or any(v not in CHOICES["tried_treatments"] for v in chosen):
        raise _Unsure()
    return list(dict.fromkeys(chosen))


def _consent(data: dict[str, Any]) -> bool:
    if data.get("consent_to_contact") is not True:
        raise _Unsure()
    return True


def _flag_of(data: dict[str, Any], name: str) -> bool:
    if name not in data:
        return bool(DEFAULTS[name])
    value = data[name]
    if type(value) is not bool:
        raise _Unsure()
    return value


def _start(data: dict[str, Any]) -> datetime | None:
    value = data.get("started_at")
    if value is None or (type(value) is str and not value.strip()):
        return None
    # Milliseconds, as a number (JSON) or digits (a form post); a time in words is the model's to read.
    if type(value) not in (int, float) and not (type(value) is str and value.strip().isdigit()):
        raise _Unsure()
    start: datetime | None = _sure(aware_start, _sure(epoch_start, value))
    return start


def _language(value: Any) -> str | None:
    if value is None:
        return None
    choice = _choice(value) if type(value) is str else value
    if choice is not None and choice not in CHOICES["language"]:
        raise _Unsure()
    return str(choice) if choice is not None else None


# What the model's str_strip_whitespace strips (pydantic-core trims Unicode White_Space).
# Python's str.strip takes \x1c-\x1f for spaces as well; the model keeps them.
_MODEL_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
_MODEL_SPACE += "\u2028\u2029\u202f\u205f\u3000"


def _honeypot(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _Unsure()
    # Blank by str.strip is None, as the model's _blank_to_none says; else stripped as the model strips.
    return value.strip(_MODEL_SPACE) if value.strip() else None


def _present(data: Any, name: str) -> bool:
    value = data.get(name) if isinstance(data, dict) else None
    return isinstance(value, str) and bool(value.strip())


def _cross_field_errors(data: Any, sub: Submission | None) -> dict[str, str]:
    """Rules that tie fields together, checked even when single fields failed: field -> code."""
    out: dict[str, str] = {}
    if sub is not None:
        has_email, has_phone = sub.email is not None, sub.phone is not None
        channel: Any = sub.preferred_contact
        text_ok = sub.consent_to_text
    else:
        has_email, has_phone = _present(data, "email"), _present(data, "phone")
        channel = data.get("preferred_contact") if isinstance(data, dict) else None
        channel = channel.strip().lower() if isinstance(channel, str) else channel
        text_ok = isinstance(data, dict) and data.get("consent_to_text") in (True, "true", "on", "1", 1)
    if not has_email and not has_phone:
        out["email"] = "field.email.one_of"
        out["phone"] = "field.phone.one_of"
    if channel in ("phone", "text") and not has_phone:
        out["phone"] = "field.phone.for_channel"
    if channel == "email" and not has_email:
        out["email"] = "field.email.for_channel"
    if channel == "text" and not text_ok:
        out["consent_to_text"] = "field.consent_to_text.required"
    return out
