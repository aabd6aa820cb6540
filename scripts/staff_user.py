"""`make staff-user EMAIL=... ROLE=intake [NAME=...]`: add a staff member to a stage's user pool.

The email is their sign-in name; the name (optional) is how the inbox shows
them to colleagues ("Maria Lopez claimed this lead"); without one, their
email is shown.

Locally (`--local`, the pool `make run` created in the emulator) the member is
made ready to sign in: the emulator hands out a TOTP secret only during a
first sign-in, so this does that first sign-in (temporary password, new
password, authenticator enrolment) and prints the password, the TOTP secret
and an otpauth:// URI to scan into an authenticator app.

Against AWS (`--stack next-steps-<stage>`) it creates the user in the stack's
pool (Cognito emails them a temporary password; at first sign-in they choose
their own and enrol an authenticator app) and puts them in the role's group.

    python -m scripts.staff_user --local --email sam@clinic.example --role intake --name "Sam Okafor"
    python -m scripts.staff_user --stack next-steps-prod --email sam@clinic.example --role admin
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import sys
import urllib.parse
from collections.abc import Sequence
from typing import Any

from chalicelib.auth import NAME_LIMIT, Role
from chalicelib.text import clean_line

LOCAL_POOL = "next-steps-local-staff"


class StaffUserError(Exception):
    """The member cannot be added; the message says why."""


def new_password() -> str:
    """A password the pool's policy accepts: 20 characters, upper, lower and digits."""
    alphabet = string.ascii_letters + string.digits
    while True:
        word = "".join(secrets.choice(alphabet) for _ in range(20))
        if any(c.islower() for c in word) and any(c.isupper() for c in word) and any(c.isdigit() for c in word):
            return word


def otpauth_uri(email: str, secret: str, issuer: str = "Next Steps") -> str:
    """The URI an authenticator app scans (Google's Key Uri Format)."""
    label = urllib.parse.quote(f"{issuer}:{email}")
    query = urllib.parse.urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": 6, "period": 30})
    return f"otpauth://totp/{label}?{query}"


def totp(secret: str, at: float | None = None) -> str:
    """The 6-digit code of a base32 TOTP secret at a time (RFC 6238: HMAC-SHA-1, 30 s steps).

    Written out rather than taken from pyotp, which refuses secrets under 112
    bits: the emulator hands every user the same 60-bit secret (Cognito's are
    far longer). tests/unit/test_staff_user.py checks it against pyotp.
    """
    import base64
    import hashlib
    import hmac
    import struct
    import time

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def local_pool(cognito: Any) -> tuple[str, str]:
    """The emulator's staff pool and its app client."""
    pools = [p for p in cognito.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == LOCAL_POOL]
    if not pools:
        raise StaffUserError(f"no user pool {LOCAL_POOL} in the emulator: start `make run` first")
    pool_id = pools[0]["Id"]
    [client] = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    return pool_id, client["ClientId"]


def stack_pool(stack: str, region: str | None) -> str:
    """The user pool of a deployed infra/ stack."""
    import boto3

    cfn = boto3.client("cloudformation", region_name=region)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    if "StaffUserPoolId" not in outputs:
        raise StaffUserError(f"stack {stack} has no staff user pool; deploy the current infra/stack.yaml first")
    return str(outputs["StaffUserPoolId"])


def create(cognito: Any, pool_id: str, email: str, role: Role, temporary_password: str | None, name: str = "") -> None:
    """Create the user (email verified, and named when a name is given) and put them in the role's group."""
    extra: dict[str, Any] = (
        {"TemporaryPassword": temporary_password, "MessageAction": "SUPPRESS"}
        if temporary_password
        else {"DesiredDeliveryMediums": ["EMAIL"]}
    )
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            *([{"Name": "name", "Value": name}] if name else []),
        ],
        **extra,
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=role.value)


def enrol(cognito: Any, pool_id: str, client_id: str, email: str, temporary: str, password: str) -> str:
    """A first sign-in as the member would make it: new password, TOTP enrolment. The TOTP secret."""
    auth = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": temporary},
    )
    if auth.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
        raise StaffUserError(f"expected a new-password challenge, got {auth.get('ChallengeName')}")
    setup = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=auth["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": password},
    )
    if setup.get("ChallengeName") != "MFA_SETUP":
        raise StaffUserError(f"expected the MFA set-up challenge, got {setup.get('ChallengeName')}")
    associated = cognito.associate_software_token(Session=setup["Session"])
    secret = str(associated["SecretCode"])
    verified = cognito.verify_software_token(
        Session=associated.get("Session", setup["Session"]), UserCode=totp(secret), FriendlyDeviceName="app"
    )
    cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified.get("Session", setup["Session"]),
        ChallengeResponses={"USERNAME": email},
    )
    # From now on every sign-in asks for a code from the authenticator app.
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username=email,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def main(argv: Sequence[str] | None = None) -> int:
    """Add one staff member; print what they need to sign in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--name", default="", help="how colleagues see them in the inbox, e.g. 'Maria Lopez'")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--local", action="store_true", help="the emulator's pool (make run)")
    where.add_argument("--stack", help="a deployed infra/ stack, e.g. next-steps-prod")
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    email, role, name = args.email.strip().lower(), Role(args.role), clean_line(args.name)
    if "@" not in email:
        print("--email must be an email address (it is the staff member's sign-in name).", file=sys.stderr)
        return 2
    if len(name) > NAME_LIMIT:
        print(f"--name must be at most {NAME_LIMIT} characters.", file=sys.stderr)
        return 2
    who = f"{name} <{email}>" if name else email
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if args.local:
            endpoint = (
                os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{os.environ.get('EMULATOR_PORT', '5000')}"
            )
            cognito = boto3.client(
                "cognito-idp",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any
            )
            pool_id, client_id = local_pool(cognito)
            temporary, password = new_password(), new_password()
            create(cognito, pool_id, email, role, temporary, name)
            secret = enrol(cognito, pool_id, client_id, email, temporary, password)
            print(
                f"Added {who} ({role.value}) to the local staff pool {pool_id}.\n"
                f"  Password     {password}\n"
                f"  TOTP secret  {secret}\n"
                f"  otpauth URI  {otpauth_uri(email, secret)}\n"
                "Add the secret (or the URI) to an authenticator app; sign-in asks for its 6-digit code."
            )
        else:
            cognito = boto3.client("cognito-idp", region_name=args.region)
            pool_id = stack_pool(args.stack, args.region)
            create(cognito, pool_id, email, role, None, name)
            print(
                f"Added {who} ({role.value}) to {pool_id}. Cognito has emailed them a temporary password;\n"
                "at first sign-in they choose their own (12+ characters) and enrol an authenticator app."
            )
    except StaffUserError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print(f"Could not add {email}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
