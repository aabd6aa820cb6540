"""Builds the service's dependencies on first use, once per process."""

from __future__ import annotations

import gc
from typing import Any

from chalicelib.service import Deps
from chalicelib.settings import Settings, get_settings

_deps: Deps | None = None
_first_client = True


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
    global _first_client
    if not _first_client:
        return boto3.client(service, config=config)
    # The first client is made on a cold start, while a visitor waits: the
    # service model and endpoint rules it loads live as long as the process,
    # so (as in app.py) they are built without collections and frozen, out of
    # every later collection's way (about 3% of the cold start).
    _first_client = False
    collecting = gc.isenabled()
    gc.disable()
    try:
        return boto3.client(service, config=config)
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


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
