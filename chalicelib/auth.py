"""Staff sign-in: verify a Cognito ID token, and the roles' rights (DESIGN.md, "Staff inbox").

Pure apart from fetching the user pool's JWKS, which goes through the getter
the caller hands in. The signature is checked by python-jose (RS256 only),
then every claim the design names: issuer (this stage's pool), audience (its
app client), expiry, and `token_use == "id"`. The keys are kept for the life
of the process and fetched again, at most once a minute, when a token names
a key id not yet seen (Cognito rotating its keys).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

ALGORITHM = "RS256"
# A token whose key id is unknown fetches the JWKS again, but not more often than this.
REFETCH_SECONDS = 60.0


class Role(StrEnum):
    """A staff member's role: the Cognito group they are in."""

    INTAKE = "intake"
    CLINICIAN = "clinician"
    ADMIN = "admin"


class Action(StrEnum):
    """What a staff request does (the audit trail's actions, and the rest of the API)."""

    ME = "me"
    LIST = "list"
    VIEW = "view"
    CLAIM = "claim"
    NOTE = "note"
    STATUS = "status"
    RESTORE = "restore"
    EXPORT = "export"
    STATS = "stats"
    ERASE = "erase"
    AUDIT = "audit"
    MANAGE_USERS = "manage_users"


_WORK_LEADS = frozenset(
    {Action.ME, Action.LIST, Action.VIEW, Action.CLAIM, Action.NOTE, Action.STATUS, Action.RESTORE}
    | {Action.EXPORT, Action.STATS}
)
# The design's role table.
RIGHTS: Mapping[Role, frozenset[Action]] = {
    Role.INTAKE: _WORK_LEADS,
    Role.CLINICIAN: _WORK_LEADS,
    Role.ADMIN: _WORK_LEADS | {Action.ERASE, Action.AUDIT, Action.MANAGE_USERS},
}


def may(role: Role, action: Action) -> bool:
    """Whether one role may do one action."""
    return action in RIGHTS[role]


class Unauthenticated(Exception):
    """No token, or one that is forged, expired, from another pool or not an ID token: 401."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The user pool's public keys could not be fetched: the caller should try again (503), not sign in again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Exception):
    """A signed-in staff member whose roles may not do this: 403."""

    def __init__(self, action: Action) -> None:
        super().__init__(action.value)
        self.action = action


# A display name is shown in lists on a phone: longer ones are cut here.
NAME_LIMIT = 100


@dataclass(frozen=True)
class StaffUser:
    """A verified staff member."""

    username: str
    email: str
    roles: tuple[Role, ...]
    name: str = ""  # the token's `name` claim (the pool's `name` attribute), when it has one

    @property
    def display_name(self) -> str:
        """How colleagues see this member: their name, else their email ("" when the token has neither)."""
        from chalicelib.text import clean_line

        return clean_line(self.name)[:NAME_LIMIT].strip() or self.email

    def may(self, action: Action) -> bool:
        """Whether any of this member's roles may do the action."""
        return any(may(role, action) for role in self.roles)

    def require(self, action: Action) -> None:
        """Raise Forbidden unless one of this member's roles may do the action."""
        if not self.may(action):
            raise Forbidden(action)


@dataclass(frozen=True)
class PoolSettings:
    """Which user pool and app client a stage trusts, and where its keys are served."""

    issuer: str
    client_id: str
    jwks_url: str = ""

    @property
    def keys_url(self) -> str:
        """The JWKS address: Cognito serves it under the issuer unless told otherwise (the emulator)."""
        return self.jwks_url or f"{self.issuer.rstrip('/')}/.well-known/jwks.json"


JwksGetter = Callable[[], Mapping[str, Any]]


class TokenVerifier:
    """Verifies the ID tokens of one user pool and app client."""

    def __init__(
        self,
        pool: PoolSettings,
        fetch_jwks: JwksGetter,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool = pool
        self._fetch_jwks = fetch_jwks
        self._clock = clock
        self._monotonic = monotonic
        self._keys: dict[str, Mapping[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _key(self, kid: str) -> Mapping[str, Any] | None:
        with self._lock:
            if kid in self._keys:
                return self._keys[kid]
            now = self._monotonic()
            if self._fetched_at is None or now - self._fetched_at >= REFETCH_SECONDS:
                try:
                    keys = self._fetch_jwks().get("keys", [])
                except Exception as exc:
                    raise KeysUnavailable(type(exc).__name__) from exc
                # Only a fetch that answered starts the minute before the next one.
                self._fetched_at = now
                self._keys = {k["kid"]: k for k in keys if isinstance(k, Mapping) and "kid" in k}
            return self._keys.get(kid)

    def verify_header(self, authorization: str | None) -> StaffUser:
        """The staff member an `Authorization: Bearer <ID token>` header names; Unauthenticated otherwise."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("missing")
        return self.verify(token.strip())

    def verify(self, token: str) -> StaffUser:
        """The staff member a Cognito ID token names, once its signature and claims hold."""
        from jose import jwk, jws
        from jose.exceptions import JOSEError

        try:
            header = jws.get_unverified_header(token)
        except JOSEError as exc:
            raise Unauthenticated("malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("algorithm")
        key = self._key(str(header.get("kid", "")))
        if key is None:
            raise Unauthenticated("unknown key")
        try:
            payload = jws.verify(token, jwk.construct(dict(key), ALGORITHM), algorithms=[ALGORITHM])
        except JOSEError as exc:
            raise Unauthenticated("signature") from exc
        return self._user(_claims(payload))

    def _user(self, claims: Mapping[str, Any]) -> StaffUser:
        if claims.get("iss") != self.pool.issuer:
            raise Unauthenticated("issuer")
        audience = claims.get("aud")
        if audience != self.pool.client_id and not (isinstance(audience, list) and self.pool.client_id in audience):
            raise Unauthenticated("audience")
        if claims.get("token_use") != "id":
            raise Unauthenticated("token use")
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= self._clock():
            raise Unauthenticated("expired")
        username = claims.get("cognito:username")
        if not isinstance(username, str) or not username:
            raise Unauthenticated("no username")
        groups = claims.get("cognito:groups") or []
        known = {role.value for role in Role}
        roles = tuple(Role(g) for g in sorted(set(groups) & known)) if isinstance(groups, list) else ()
        email, name = claims.get("email"), claims.get("name")
        return StaffUser(
            username=username,
            email=email if isinstance(email, str) else "",
            roles=roles,
            name=name if isinstance(name, str) else "",
        )


def _claims(payload: bytes) -> Mapping[str, Any]:
    import json

    try:
        claims = json.loads(payload)
    except ValueError as exc:
        raise Unauthenticated("malformed") from exc
    if not isinstance(claims, dict):
        raise Unauthenticated("malformed")
    return claims
