"""The submission model (pydantic): the reference for every rule of what a visitor may send.

`chalicelib.leads.validate_submission` checks a plain, well-formed submission
without loading pydantic (`leads._quick`, a cold start's first visitor waits
some 100 ms less); anything else, and every submission with a mistake, is
validated here. tests/unit/test_quick_validation.py holds the two to the same
answers. The form's JSON schema is exported from this model too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from chalicelib.leads import (
    BestTime,
    Channel,
    Language,
    Service,
    Submission,
    Treatment,
    _blank_to_none,
    _block,
    _choice,
    _line,
    _none_tried,
    _optional_line,
    aware_start,
    e164,
    epoch_start,
    treatment_list,
)
from chalicelib.text import has_visible_letter

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
        # email_validator is imported on the first address: the notice and
        # sweeper functions load this module too, and never validate one.
        from chalicelib.emails import normalized

        return normalized(value)

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return e164(value, (info.context or {}).get("phone_region", "US"))

    @field_validator("tried_treatments", mode="before")
    @classmethod
    def _treatment_list(cls, value: Any) -> Any:
        return treatment_list(value)

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
        return epoch_start(value)

    @field_validator("started_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware_start(value)

    def submission(self) -> Submission:
        """The validated submission as the service takes it."""
        return Submission(**self.model_dump(), website=self.website)
