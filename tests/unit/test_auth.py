"""Staff token verification and the role table, with a key pair and JWKS made here."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from chalicelib.auth import (
    REFETCH_SECONDS,
    Action,
    Forbidden,
    KeysUnavailable,
    PoolSettings,
    Role,
    StaffUser,
    TokenVerifier,
    Unauthenticated,
    may,
)

NOW = 1_800_000_000
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Staff"
CLIENT = "inboxclient"
POOL = PoolSettings(issuer=ISSUER, client_id=CLIENT)


class Keys:
    """An RSA key pair posing as one of the pool's signing keys, and its public JWKS."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_jwk = {**jwk.construct(pem.decode(), "RS256").to_dict(), "kid": kid, "use": "sig"}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return str(jwt.encode(claims, pem.decode(), algorithm="RS256", headers={"kid": self.kid, **header}))


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys("key-1")


class Jwks:
    """The injected JWKS getter: counts its fetches."""

    def __init__(self, *keys: Keys) -> None:
        self.keys = list(keys)
        self.fetches = 0

    def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [k.public_jwk for k in self.keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "sub": "5f1c",
        "cognito:username": "5f1c",
        "email": "sam@clinic.example",
        "cognito:groups": ["intake"],
        "iat": NOW - 60,
        "exp": NOW + 1800,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def verifier(jwks: Jwks, now: float = NOW, clock: list[float] | None = None) -> TokenVerifier:
    ticks = clock if clock is not None else [0.0]
    return TokenVerifier(POOL, jwks, clock=lambda: now, monotonic=lambda: ticks[0])


def test_a_good_id_token_names_the_staff_member_and_their_roles(keys: Keys) -> None:
    user = verifier(Jwks(keys)).verify_header("Bearer " + keys.sign(claims()))
    assert user == StaffUser(username="5f1c", email="sam@clinic.example", roles=(Role.INTAKE,))


@pytest.mark.parametrize(
    ("extra", "shown"),
    [
        ({"name": "Maria Lopez"}, "Maria Lopez"),
        ({"name": "  María\u202e  O'Neil\n"}, "María O'Neil"),  # tidied: no control or bidi characters
        ({"name": "x" * 300}, "x" * 100),
        ({}, "sam@clinic.example"),  # no name: the email stands in
        ({"name": "   "}, "sam@clinic.example"),
        ({"name": 42}, "sam@clinic.example"),
        ({"email": None}, ""),  # nothing to show: the inbox falls back to the username's short form
    ],
)
def test_a_staff_members_display_name_is_the_tokens_name_else_their_email(
    keys: Keys, extra: dict[str, Any], shown: str
) -> None:
    token = keys.sign(claims(**extra))
    assert TokenVerifier(POOL, Jwks(keys), clock=lambda: NOW).verify(token).display_name == shown


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwdw==", "token-without-scheme"])
def test_no_bearer_token_is_unauthenticated(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        verifier(Jwks()).verify_header(header)


def test_a_token_whose_payload_was_changed_is_unauthenticated(keys: Keys) -> None:
    head, _, sig = keys.sign(claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims(**{"cognito:groups": ["admin"]})).encode()).rstrip(b"=")
    with pytest.raises(Unauthenticated, match="signature"):
        verifier(Jwks(keys)).verify(f"{head}.{forged.decode()}.{sig}")


def test_a_token_signed_by_a_key_the_pool_does_not_publish_is_unauthenticated(keys: Keys) -> None:
    stranger = Keys(keys.kid)  # same key id, another key
    with pytest.raises(Unauthenticated, match="signature"):
        verifier(Jwks(keys)).verify(stranger.sign(claims()))


@pytest.mark.parametrize(
    ("changed", "reason"),
    [
        ({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"}, "issuer"),
        ({"aud": "another-client"}, "audience"),
        ({"token_use": "access"}, "token use"),
        ({"exp": NOW}, "expired"),
        ({"exp": NOW - 1}, "expired"),
        ({"exp": None}, "expired"),
        ({"cognito:username": None}, "no username"),
    ],
)
def test_a_signed_token_with_a_wrong_claim_is_unauthenticated(keys: Keys, changed: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        verifier(Jwks(keys)).verify(keys.sign(claims(**changed)))


def test_a_token_expires_on_the_injected_clock(keys: Keys) -> None:
    token = keys.sign(claims(exp=NOW + 60))
    assert verifier(Jwks(keys), now=NOW + 59).verify(token).username == "5f1c"
    with pytest.raises(Unauthenticated, match="expired"):
        verifier(Jwks(keys), now=NOW + 60).verify(token)


@pytest.mark.parametrize("alg", ["HS256", "none"])
def test_only_rs256_is_accepted(keys: Keys, alg: str) -> None:
    head = base64.urlsafe_b64encode(json.dumps({"alg": alg, "kid": keys.kid}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims()).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated, match="algorithm"):
        verifier(Jwks(keys)).verify(f"{head}.{body}.")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "..."])
def test_garbage_is_unauthenticated(token: str, keys: Keys) -> None:
    with pytest.raises(Unauthenticated):
        verifier(Jwks(keys)).verify(token)


def test_the_jwks_is_fetched_once_and_again_only_for_a_new_key_id(keys: Keys) -> None:
    jwks = Jwks(keys)
    clock = [0.0]
    check = verifier(jwks, clock=clock)
    check.verify(keys.sign(claims()))
    check.verify(keys.sign(claims()))
    assert jwks.fetches == 1

    rotated = Keys("key-2")
    jwks.keys.append(rotated)  # the pool publishes a new key
    clock[0] = REFETCH_SECONDS
    assert check.verify(rotated.sign(claims())).username == "5f1c"
    assert jwks.fetches == 2


def test_unknown_key_ids_do_not_fetch_the_jwks_on_every_request(keys: Keys) -> None:
    jwks = Jwks(keys)
    check = verifier(jwks)
    check.verify(keys.sign(claims()))
    for n in range(5):
        with pytest.raises(Unauthenticated, match="unknown key"):
            check.verify(Keys(f"made-up-{n}").sign(claims()))
    assert jwks.fetches == 1


def test_a_failed_key_fetch_is_unavailable_not_a_sign_out_and_the_next_request_fetches_again(keys: Keys) -> None:
    # GIVEN a cold function whose first fetch of the pool's keys fails (a network blip)
    jwks = Jwks(keys)
    answers: list[Any] = [OSError("timed out"), None]

    def flaky() -> dict[str, Any]:
        answer = answers.pop(0)
        if answer is not None:
            raise answer
        return jwks()

    check = TokenVerifier(POOL, flaky, clock=lambda: NOW, monotonic=lambda: 0.0)
    # WHEN a staff member with a good token calls
    # THEN they are told to try again (not signed out: it is not their token's fault)
    with pytest.raises(KeysUnavailable):
        check.verify(keys.sign(claims()))
    # AND the very next request fetches the keys again and passes, with no minute's wait
    assert check.verify(keys.sign(claims())).username == "5f1c"


def test_roles_come_from_the_cognito_groups_and_unknown_groups_give_none(keys: Keys) -> None:
    check = verifier(Jwks(keys))
    assert check.verify(keys.sign(claims(**{"cognito:groups": ["admin", "intake"]}))).roles == (
        Role.ADMIN,
        Role.INTAKE,
    )
    assert check.verify(keys.sign(claims(**{"cognito:groups": ["superuser"]}))).roles == ()
    assert check.verify(keys.sign(claims(**{"cognito:groups": None}))).roles == ()


def test_the_role_table_is_the_designs() -> None:
    work = {Action.LIST, Action.VIEW, Action.CLAIM, Action.NOTE, Action.STATUS, Action.RESTORE, Action.EXPORT}
    admin_only = {Action.ERASE, Action.AUDIT, Action.MANAGE_USERS}
    for role in (Role.INTAKE, Role.CLINICIAN, Role.ADMIN):
        assert all(may(role, action) for action in work | {Action.ME, Action.STATS})
    for action in admin_only:
        assert may(Role.ADMIN, action)
        assert not may(Role.INTAKE, action)
        assert not may(Role.CLINICIAN, action)


def test_a_member_without_the_right_is_forbidden() -> None:
    intake = StaffUser("u1", "a@clinic.example", (Role.INTAKE,))
    intake.require(Action.CLAIM)
    with pytest.raises(Forbidden):
        intake.require(Action.ERASE)
    with pytest.raises(Forbidden):
        StaffUser("u2", "b@clinic.example", ()).require(Action.ME)
