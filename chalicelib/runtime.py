"""Builds the service's dependencies on first use, once per process."""

from __future__ import annotations

from typing import Any

from chalicelib.service import Deps
from chalicelib.settings import Settings, get_settings

_deps: Deps | None = None


def _client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # Short timeouts and few retries: a visitor is waiting, and a 503 with
    # Retry-After is better than a hung request. No client-side parameter
    # validation: it walks every attribute of every item on each call (a fifth
    # of a submission's CPU), and the service validates the request anyway.
    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"max_attempts": 3, "mode": "standard"},
        parameter_validation=False,
    )
    return boto3.client(service, config=config)


def _publisher() -> Any:
    from chalicelib.notices import SnsPublisher

    return SnsPublisher(_client("sns"), get_settings().topic_arn)


def _verifier() -> Any:
    from chalicelib.turnstile import verify

    secret = get_settings().turnstile_secret
    return lambda token, ip: verify(secret, token, ip)


def deps() -> Deps:
    """The process-wide dependencies (DynamoDB client now, SNS client only when publishing)."""
    global _deps
    if _deps is None:
        from chalicelib.store import LeadStore

        settings = get_settings()
        _deps = Deps(
            store=LeadStore(_client("dynamodb"), settings.table_name),
            settings=settings,
            publisher_factory=_publisher,
            verifier=_verifier() if settings.turnstile_enabled else None,
        )
    return _deps


def settings() -> Settings:
    """The stage's settings, without creating any AWS client (for paths that need no AWS)."""
    return _deps.settings if _deps is not None else get_settings()


def reset() -> None:
    """Forget cached settings and clients (tests change the environment between cases)."""
    global _deps
    _deps = None
    get_settings.cache_clear()


def use(custom: Deps) -> None:
    """Install ready-made dependencies (tests, the local stream pump)."""
    global _deps
    _deps = custom
