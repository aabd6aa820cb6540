"""Stage settings, read from the environment once and lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


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
    follow_up_hours: int = 24
    closed_retention_days: int = 365
    spam_retention_days: int = 30
    turnstile_enabled: bool = False
    turnstile_secret: str = field(default="", repr=False)

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
            follow_up_hours=num("FOLLOW_UP_HOURS", d.follow_up_hours),
            closed_retention_days=num("CLOSED_RETENTION_DAYS", d.closed_retention_days),
            spam_retention_days=d.spam_retention_days,
            turnstile_enabled=_flag(e.get("TURNSTILE_ENABLED", "")),
            turnstile_secret=e.get("TURNSTILE_SECRET", ""),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read on first use."""
    return Settings.from_env()
