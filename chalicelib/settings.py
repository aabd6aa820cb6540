"""Stage settings, read from the environment once and lazily."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.hours import InvalidHours, OfficeHours, check_timezone, parse_holidays, parse_hours

_PHONE = re.compile(r"^\+?[0-9 ().-]+$")
_LANGUAGE_SUFFIX = re.compile(r"^[A-Z]{2}$")


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything a stage can set; see the README for what each one does."""

    stage: str = "dev"
    table_name: str = "next-steps-dev-leads"
    topic_arn: str = ""
    allowed_origins: tuple[str, ...] = ()
    default_region: str = "US"
    thank_you_url: str = "/thank-you"
    notice_detail: str = "minimal"
    rate_limit_window: int = 5
    rate_limit_day: int = 20
    min_fill_seconds: int = 3
    max_links: int = 2
    notice_max_attempts: int = 6
    notice_grace_seconds: int = 120
    closed_retention_days: int = 365
    spam_retention_days: int = 30
    turnstile_enabled: bool = False
    turnstile_secret: str = field(default="", repr=False)
    clinic_phone: str = ""
    clinic_hours: str = "Mon-Fri 08:00-18:00"
    clinic_timezone: str = "America/New_York"
    clinic_holidays: str = ""
    urgent_ack_minutes: int = 10
    ack_minutes: int = 30
    form_url: str = ""
    staff_inbox_url: str = ""
    # THANK_YOU_URL_<LANGUAGE> and FORM_URL_<LANGUAGE> (such as THANK_YOU_URL_ES): (language, url) pairs.
    thank_you_urls: tuple[tuple[str, str], ...] = ()
    form_urls: tuple[tuple[str, str], ...] = ()

    def thank_you_for(self, language: str) -> str:
        """Where a no-JavaScript form post in `language` lands: its own page, else THANK_YOU_URL."""
        return dict(self.thank_you_urls).get(language) or self.thank_you_url

    def form_url_for(self, language: str) -> str:
        """The form page in `language` the failure pages link back to: its own, else FORM_URL."""
        return dict(self.form_urls).get(language) or self.form_url

    @property
    def office_hours(self) -> OfficeHours:
        """The intake team's hours (CLINIC_HOURS in CLINIC_TIMEZONE, closed on CLINIC_HOLIDAYS), parsed once."""
        return _office_hours(self.clinic_hours, self.clinic_timezone, self.clinic_holidays)

    @property
    def clinic_phone_link(self) -> str:
        """CLINIC_PHONE as a tel: link, or "" when the stage has none."""
        if not self.clinic_phone:
            return ""
        digits = "".join(ch for ch in self.clinic_phone if ch.isdigit())
        return "tel:" + ("+" if self.clinic_phone.startswith("+") else "") + digits

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (see README, "Settings")."""
        e = dict(os.environ if env is None else env)
        d = cls()

        def num(name: str, default: int) -> int:
            raw = e.get(name, "").strip()
            return int(raw) if raw else default

        detail = e.get("NOTICE_DETAIL", d.notice_detail).strip() or d.notice_detail
        if detail not in {"minimal", "contact"}:
            raise ValueError("NOTICE_DETAIL must be 'minimal' or 'contact'")
        phone = " ".join(e.get("CLINIC_PHONE", "").split())
        if phone and not (_PHONE.match(phone) and 7 <= sum(ch.isdigit() for ch in phone) <= 15):
            raise ValueError("CLINIC_PHONE must be a phone number such as '+1 202-555-0100' (7 to 15 digits)")
        timezone = e.get("CLINIC_TIMEZONE", "").strip() or d.clinic_timezone
        try:
            check_timezone(timezone)
        except InvalidHours as exc:
            raise ValueError(f"CLINIC_TIMEZONE: {exc}") from None
        hours = " ".join(e.get("CLINIC_HOURS", "").split()) or d.clinic_hours
        try:
            parse_hours(hours, timezone)
        except InvalidHours as exc:
            raise ValueError(f"CLINIC_HOURS must look like 'Mon-Fri 08:00-18:00': {exc}") from None
        holidays = ", ".join(p.strip() for p in e.get("CLINIC_HOLIDAYS", "").split(",") if p.strip())
        try:
            parse_holidays(holidays)
        except InvalidHours as exc:
            raise ValueError(f"CLINIC_HOLIDAYS must be dates like '2026-12-25, 2027-01-01': {exc}") from None
        urgent_ack = _minutes(e, "URGENT_ACK_MINUTES", d.urgent_ack_minutes)
        ack = _minutes(e, "ACK_MINUTES", d.ack_minutes)
        form_url = e.get("FORM_URL", "").strip()
        if form_url and not form_url.startswith(("https://", "http://")):
            raise ValueError("FORM_URL must be the form page's full address, starting with https://")
        inbox_url = e.get("STAFF_INBOX_URL", "").strip().split("#", 1)[0]
        if inbox_url and not inbox_url.startswith(("https://", "http://")):
            raise ValueError("STAFF_INBOX_URL must be the staff inbox's full address, starting with https://")
        form_urls = _by_language(e, "FORM_URL")
        for name, url in form_urls:
            if not url.startswith(("https://", "http://")):
                raise ValueError(
                    f"FORM_URL_{name.upper()} must be the form page's full address, starting with https://"
                )
        return cls(
            stage=e.get("STAGE", d.stage),
            table_name=e.get("LEADS_TABLE", d.table_name),
            topic_arn=e.get("STAFF_TOPIC_ARN", d.topic_arn),
            allowed_origins=_csv(e.get("ALLOWED_ORIGINS", "")),
            default_region=e.get("PHONE_DEFAULT_REGION", d.default_region).upper(),
            thank_you_url=e.get("THANK_YOU_URL", d.thank_you_url),
            notice_detail=detail,
            rate_limit_window=num("RATE_LIMIT_PER_10_MIN", d.rate_limit_window),
            rate_limit_day=num("RATE_LIMIT_PER_DAY", d.rate_limit_day),
            min_fill_seconds=num("MIN_FILL_SECONDS", d.min_fill_seconds),
            max_links=num("MAX_LINKS", d.max_links),
            notice_max_attempts=num("NOTICE_MAX_ATTEMPTS", d.notice_max_attempts),
            notice_grace_seconds=num("NOTICE_GRACE_SECONDS", d.notice_grace_seconds),
            closed_retention_days=num("CLOSED_RETENTION_DAYS", d.closed_retention_days),
            spam_retention_days=d.spam_retention_days,
            turnstile_enabled=_flag(e.get("TURNSTILE_ENABLED", "")),
            turnstile_secret=e.get("TURNSTILE_SECRET", ""),
            clinic_phone=phone,
            clinic_hours=hours,
            clinic_timezone=timezone,
            clinic_holidays=holidays,
            urgent_ack_minutes=urgent_ack,
            ack_minutes=ack,
            form_url=form_url,
            staff_inbox_url=inbox_url,
            thank_you_urls=_by_language(e, "THANK_YOU_URL"),
            form_urls=form_urls,
        )


def _minutes(env: dict[str, str], name: str, default: int) -> int:
    """A whole number of minutes from 1 to a day, or a ValueError naming the setting."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 1440:
        raise ValueError(f"{name} must be a whole number of minutes from 1 to 1440, not {raw[:20]!r}")
    return int(raw)


def _by_language(env: dict[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """`<name>_<LANGUAGE>` settings (THANK_YOU_URL_ES=...) as (language, value) pairs; blank ones left out."""
    prefix = name + "_"
    found = []
    for key, value in sorted(env.items()):
        suffix = key.removeprefix(prefix)
        if key.startswith(prefix) and _LANGUAGE_SUFFIX.match(suffix) and value.strip():
            found.append((suffix.lower(), value.strip()))
    return tuple(found)


@lru_cache(maxsize=4)
def _office_hours(hours: str, timezone: str, holidays: str = "") -> OfficeHours:
    return parse_hours(hours, timezone, parse_holidays(holidays))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return Settings.from_env()
