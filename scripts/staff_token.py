"""Sign in to the local stack's staff pool and print the ID token, for calling the staff API by hand.

    TOKEN=$(.venv/bin/python -m scripts.staff_token --email sam@clinic.example \\
        --password "$STAFF_PASSWORD" --totp-secret "$STAFF_TOTP_SECRET")
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8001/staff/leads

Signs in as the inbox does (password, then the authenticator's code, worked
out here from the TOTP secret `make staff-user` printed) with the local
client's ADMIN_USER_PASSWORD_AUTH flow; the emulator of `make run` only
(EMULATOR_PORT, default 5000). The password and secret may come from
STAFF_PASSWORD and STAFF_TOTP_SECRET instead of the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scripts.staff_user import StaffUserError, local_pool, totp


def main(argv: Sequence[str] | None = None) -> int:
    """Print one ID token of the local staff pool."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", default=os.environ.get("STAFF_PASSWORD"))
    parser.add_argument("--totp-secret", default=os.environ.get("STAFF_TOTP_SECRET"))
    args = parser.parse_args(argv)
    if not args.password or not args.totp_secret:
        print("Give --password and --totp-secret (as make staff-user printed them).", file=sys.stderr)
        return 2
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    email = args.email.strip().lower()
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{os.environ.get('EMULATOR_PORT', '5000')}"
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any
    )
    try:
        pool_id, client_id = local_pool(cognito)
        started = cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": args.password},
        )
        if started.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
            asked = started.get("ChallengeName")
            raise StaffUserError(f"expected to be asked for the authenticator's code, not {asked}")
        done = cognito.admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp(args.totp_secret)},
        )
    except StaffUserError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except ClientError as exc:
        print(f"Could not sign in {email}: {exc.response.get('Error', {}).get('Message', exc)}", file=sys.stderr)
        return 1
    except BotoCoreError as exc:
        print(f"Could not reach the emulator at {endpoint} (is make run running?): {exc}", file=sys.stderr)
        return 1
    print(done["AuthenticationResult"]["IdToken"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
