"""The submission model and the domain rules of a lead."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

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


Line = Annotated[str, BeforeValidator(_line)]
# Length limits sit on the str, inside `| None`: on the whole union pydantic
# would apply them to None as well and raise a TypeError (a 500) for a blank
# or null optional field, as every plain form post sends.
BLANK_IS_NONE = BeforeValidator(_optional_line)
Name = Annotated[str, Field(max_length=100)]
EmailText = Annotated[str, Field(max_length=254)]
PhoneText = Annotated[str, Field(max_length=40)]
Version = Annotated[str, Field(max_length=32)]
Key = Annotated[str, Field(max_length=128)]
SourceText = Annotated[str, Field(max_length=300)]
MessageText = Annotated[str, Field(max_length=2000)]


class LeadSubmission(BaseModel):
    """What a visitor sends from the Next Steps form, validated and cleaned."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    first_name: Line = Field(min_length=1, max_length=100)
    last_name: Annotated[Name | None, BLANK_IS_NONE] = None
    email: Annotated[EmailText | None, BLANK_IS_NONE] = None
    phone: Annotated[PhoneText | None, BLANK_IS_NONE] = None
    preferred_contact: Annotated[Channel, BeforeValidator(_choice)]
    best_time: Annotated[BestTime, BeforeValidator(_choice)] = "any"
    service: Annotated[Service, BeforeValidator(_choice)] = "consultation"
    tried_treatments: list[Treatment] = Field(default_factory=_none_tried, max_length=6)
    message: Annotated[MessageText | None, BeforeValidator(_block)] = None
    consent_to_contact: bool
    consent_to_text: bool = False
    privacy_notice_version: Annotated[Version | None, BLANK_IS_NONE] = None
    submission_id: Annotated[Key | None, BLANK_IS_NONE] = None
    started_at: datetime | None = None
    source_page: Annotated[SourceText | None, BLANK_IS_NONE] = None
    referrer: Annotated[SourceText | None, BLANK_IS_NONE] = None
    utm_source: Annotated[SourceText | None, BLANK_IS_NONE] = None
    utm_medium: Annotated[SourceText | None, BLANK_IS_NONE] = None
    utm_campaign: Annotated[SourceText | None, BLANK_IS_NONE] = None
    utm_term: Annotated[SourceText | None, BLANK_IS_NONE] = None
    utm_content: Annotated[SourceText | None, BLANK_IS_NONE] = None
    # How to speak to the visitor, not what they asked: no part of either fingerprint.
    language: Annotated[Language | None, BeforeValidator(_choice)] = None
    # Honeypot: hidden from people. Only whether it was filled is kept.
    website: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, exclude=True)

    @field_validator("first_name")
    @classmethod
    def _visible_name(cls, value: str) -> str:
        # A name of Hangul fillers or punctuation alone is stored blank-looking
        # and leaves staff nobody to greet.
        if value and not has_visible_letter(value):
            raise PydanticCustomError("no_visible_letter", "no visible letter")
        return value

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # Imported here: the notice and sweeper functions load this module too,
        # and never validate an address or a number.
        from email_validator import EmailNotValidError, validate_email

        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError("invalid email") from None

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        import phonenumbers

        region = (info.context or {}).get("phone_region", "US")
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            raise ValueError("invalid phone") from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError("invalid phone")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("tried_treatments", mode="before")
    @classmethod
    def _treatment_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value] if value.strip() else []
        if isinstance(value, list):
            return [v.strip().lower() if isinstance(v, str) else v for v in value]
        return value

    @field_validator("tried_treatments")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("consent_to_contact")
    @classmethod
    def _must_consent(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("consent required")
        return value

    @field_validator("started_at", mode="before")
    @classmethod
    def _epoch_ms(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("not a time")
        if isinstance(value, (int, float)):
            if not 0 < value < 1e14:
                raise ValueError("not a time")
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        if isinstance(value, str) and value.strip().isdigit():
            return _epoch_ms_str(value)
        return _blank_to_none(value)

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
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

    def idempotency_fingerprint(self) -> str:
        """Hash of everything the visitor sent, to tell a replay from a reuse of its key."""
        body = self.model_dump(mode="json", exclude={"submission_id", "language"})
        return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=False))

    def duplicate_fingerprint(self) -> str:
        """Hash of every answer and consent, for the duplicate window: equal only for the same submission.

        Left out is only what changes when the same form is sent again from a
        reloaded page (its key, start time and source page); a change to any
        answer is a new request and must never be swallowed as a replay.
        The same answers from the form in another language are the same
        request: the visitor gets the first answer, in its language.
        """
        body = self.model_dump(mode="json", exclude={"submission_id", "started_at", "language", *SOURCE_FIELDS})
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


def validate_submission(data: Any, phone_region: str = "US", language: str = DEFAULT_LANGUAGE) -> LeadSubmission:
    """Validate a decoded body, or raise InvalidSubmission naming each bad field (its words in `language`)."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    submission: LeadSubmission | None = None
    try:
        submission = LeadSubmission.model_validate(data, context={"phone_region": phone_region})
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


def _present(data: Any, name: str) -> bool:
    value = data.get(name) if isinstance(data, dict) else None
    return isinstance(value, str) and bool(value.strip())


def _cross_field_errors(data: Any, sub: LeadSubmission | None) -> dict[str, str]:
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
