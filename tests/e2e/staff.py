"""Staff members of the local stack's user pool over HTTP: adding one, signing in, reading a token."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

from tests.conftest import totp
from tests.e2e.stack import ROOT, LocalStack


def add_staff(stack: LocalStack, email: str, role: str, name: str = "") -> dict[str, str]:
    """`make staff-user EMAIL=... ROLE=... [NAME=...]` against the running stack; what it printed, by label."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.staff_user", "--local", "--email", email, "--role", role]
        + (["--name", name] if name else []),
        cwd=ROOT,
        env={"EMULATOR_PORT": str(stack.emulator_port), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    printed = {}
    for line in done.stdout.splitlines()[1:4]:
        label, _, value = line.strip().partition("  ")
        printed[label.strip()] = value.strip()
    return printed


def pool(stack: LocalStack) -> tuple[str, str]:
    cognito = stack.cognito()
    [found] = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "next-steps-local-staff"]
    [client] = cognito.list_user_pool_clients(UserPoolId=found["Id"], MaxResults=10)["UserPoolClients"]
    return found["Id"], client["ClientId"]


def sign_in(stack: LocalStack, email: str, password: str, secret: str) -> str:
    """Password, then the authenticator's code, as the inbox signs in; the ID token."""
    pool_id, client_id = pool(stack)
    cognito = stack.cognito()
    started = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    assert started["ChallengeName"] == "SOFTWARE_TOKEN_MFA"  # TOTP is required
    done = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=started["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp(secret)},
    )
    return str(done["AuthenticationResult"]["IdToken"])


def assert_unauthenticated(answer: tuple[int, dict[str, str], Any]) -> None:
    status, headers, body = answer
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == 401 and body["title"] and body["detail"]


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data
