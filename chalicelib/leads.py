"""The submission model and the domain rules of a lead."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
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
        body = self.model_dump(mode="json", exclude={"submission_id"})
        return _sha256(json.dumps(body, sort_keys=True, ensure_ascii=False))

    def duplicate_fingerprint(self) -> str:
        """Hash of every answer and consent, for the duplicate window: equal only for the same submission.

        Left out is only what changes when the same form is sent again from a
        reloaded page (its key, start time and source page); a change to any
        answer is a new request and must never be swallowed as a replay.
        """
        body = self.model_dump(mode="json", exclude={"submission_id", "started_at", *SOURCE_FIELDS})
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

FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "preferred_contact": "How we should reach you",
    "best_time": "Best time to reach you",
    "service": "What you are interested in",
    "tried_treatments": "Treatments you have tried",
    "message": "Message",
    "consent_to_contact": "Permission to contact you",
    "consent_to_text": "Permission to text you",
    "privacy_notice_version": "Privacy notice version",
    "submission_id": "Submission id",
    "started_at": "Form start time",
}

_MESSAGES: dict[str, str] = {
    "first_name": "Please tell us your first name.",
    "first_name.no_visible_letter": "Please tell us your first name, with at least one letter.",
    "email": "Please enter a valid email address, like name@example.com.",
    "phone": "Please enter a valid phone number, including the area code.",
    "preferred_contact": "Please choose how we should reach you: phone call, text message or email.",
    "best_time": "Please choose morning, afternoon, evening or any time.",
    "service": "Please choose one of the listed options.",
    "tried_treatments": "Please choose only from the listed treatments.",
    "consent_to_contact": "Please check the box to let us contact you about your inquiry.",
    "consent_to_text": "Please check the box to let us text you, or choose another way to be reached.",
    "started_at": "The form's start time was not understood; please reload the page.",
}


class FieldError(BaseModel):
    """One bad field and what to do about it."""

    field: str
    message: str


class InvalidSubmission(Exception):
    """The submission broke one or more field rules."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def _message_for(field_name: str, err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in {"string_too_long", "too_long"} and field_name != "first_name":
        limit = ctx.get("max_length")
        noun = "items" if field_name == "tried_treatments" else "characters"
        return f"Please keep this to at most {limit} {noun}." if limit else "This is too long."
    if f"{field_name}.{kind}" in _MESSAGES:
        return _MESSAGES[f"{field_name}.{kind}"]
    if field_name in _MESSAGES:
        if field_name == "first_name" and kind == "string_too_long":
            return "Please keep your first name to at most 100 characters."
        return _MESSAGES[field_name]
    if kind == "missing":
        return "This is required."
    return "This value was not understood; please check it."


def validate_submission(data: Any, phone_region: str = "US") -> LeadSubmission:
    """Validate a decoded body, or raise InvalidSubmission naming each bad field."""
    errors: dict[str, str] = {}
    submission: LeadSubmission | None = None
    try:
        submission = LeadSubmission.model_validate(data, context={"phone_region": phone_region})
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            loc = err["loc"]
            name = str(loc[0]) if loc else "body"
            errors.setdefault(name, _message_for(name, err))
    for name, message in _cross_field_errors(data, submission).items():
        errors.setdefault(name, message)
    if errors:
        raise InvalidSubmission([FieldError(field=k, message=v) for k, v in errors.items()])
    assert submission is not None
    return submission


def _present(data: Any, name: str) -> bool:
    value = data.get(name) if isinstance(data, dict) else None
    return isinstance(value, str) and bool(value.strip())


def _cross_field_errors(data: Any, sub: LeadSubmission | None) -> dict[str, str]:
    """Rules that tie fields together, checked even when single fields failed."""
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
        out["email"] = "Please give an email address or a phone number so we can reach you."
        out["phone"] = "Please give a phone number or an email address so we can reach you."
    if channel in ("phone", "text") and not has_phone:
        out["phone"] = "Please give a phone number, since you asked us to call or text."
    if channel == "email" and not has_email:
        out["email"] = "Please give an email address, since you asked us to email you."
    if channel == "text" and not text_ok:
        out["consent_to_text"] = _MESSAGES["consent_to_text"]
    return out


# ---------------------------------------------------------------------------
# Lead ids
# ---------------------------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_lead_id(now_ms: int | None = None) -> str:
    """A ULID: 48-bit millisecond time then 80 random bits, so ids sort by time."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_lead_id(value: str) -> bool:
    """True if value has the shape of a lead id (so it is safe to use as a key)."""
    return len(value) == 26 and all(c in _CROCKFORD for c in value)


def random_token() -> str:
    """An unguessable token for keys that must not be predictable."""
    return secrets.token_hex(16)
