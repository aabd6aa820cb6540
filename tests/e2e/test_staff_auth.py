"""The staff API of `make run` over HTTP: only a verified ID token of this stage's pool gets in."""

from __future__ import annotations

import pytest

from tests.conftest import totp
from tests.e2e.stack import LocalStack
from tests.e2e.staff import assert_unauthenticated, b64, payload, pool

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def stack(staff_stack: LocalStack) -> LocalStack:
    return staff_stack


def test_make_run_says_how_to_add_a_staff_member(stack: LocalStack) -> None:
    assert f"Staff API  http://127.0.0.1:{stack.staff_port}" in stack.output
    assert "make staff-user EMAIL=" in stack.output


def test_staff_user_prints_a_totp_secret_and_an_otpauth_uri(intake: tuple[str, dict[str, str]]) -> None:
    _, printed = intake
    assert len(printed["Password"]) >= 12
    uri = printed["otpauth URI"]
    assert uri.startswith("otpauth://totp/Next%20Steps%3Asam.intake%40clinic.example?")
    assert f"secret={printed['TOTP secret']}" in uri


def test_a_signed_in_intake_member_is_told_who_they_are(stack: LocalStack, intake: tuple[str, dict[str, str]]) -> None:
    token, _ = intake
    status, headers, body = stack.staff("/staff/me", token)
    assert status == 200, body
    assert body["email"] == "sam.intake@clinic.example"
    assert body["roles"] == ["intake"]
    assert body["username"] == payload(token)["cognito:username"]
    assert headers["Cache-Control"] == "no-store"


def test_no_token_is_401_with_a_bearer_challenge(stack: LocalStack) -> None:
    assert_unauthenticated(stack.staff("/staff/me"))
    assert_unauthenticated(stack.staff("/staff/me", ""))


def test_a_token_with_a_tampered_payload_is_401(stack: LocalStack, intake: tuple[str, dict[str, str]]) -> None:
    token, _ = intake
    head, _, signature = token.split(".")
    raised = dict(payload(token), **{"cognito:groups": ["admin"]})
    assert_unauthenticated(stack.staff("/staff/me", f"{head}.{b64(raised)}.{signature}"))


def test_an_unsigned_token_is_401(stack: LocalStack, intake: tuple[str, dict[str, str]]) -> None:
    token, _ = intake
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload(token))}."
    assert_unauthenticated(stack.staff("/staff/me", unsigned))


def test_a_token_from_another_user_pool_is_401(stack: LocalStack) -> None:
    # The emulator signs every pool's tokens with one key, so only the issuer
    # and audience checks can refuse this token: it is otherwise perfectly valid.
    cognito = stack.cognito()
    other = cognito.create_user_pool(PoolName="someone-elses-pool")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=other, ClientName="other", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=other, GroupName="admin")
    cognito.admin_create_user(UserPoolId=other, Username="mallory", TemporaryPassword="Temporary-Password-1")
    cognito.admin_set_user_password(UserPoolId=other, Username="mallory", Password="Mallory-Password-1", Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=other, Username="mallory", GroupName="admin")
    token = cognito.admin_initiate_auth(
        UserPoolId=other,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory", "PASSWORD": "Mallory-Password-1"},
    )["AuthenticationResult"]["IdToken"]
    assert_unauthenticated(stack.staff("/staff/me", token))


def test_an_access_token_is_not_an_id_token(stack: LocalStack, intake: tuple[str, dict[str, str]]) -> None:
    _, printed = intake
    pool_id, client_id = pool(stack)
    cognito = stack.cognito()
    started = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "sam.intake@clinic.example", "PASSWORD": printed["Password"]},
    )
    access = cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=started["Session"],
        ChallengeResponses={
            "USERNAME": "sam.intake@clinic.example",
            "SOFTWARE_TOKEN_MFA_CODE": totp(printed["TOTP secret"]),
        },
    )["AuthenticationResult"]["AccessToken"]
    assert_unauthenticated(stack.staff("/staff/me", access))


def test_a_wrong_totp_code_gets_no_token(stack: LocalStack, intake: tuple[str, dict[str, str]]) -> None:
    _, printed = intake
    pool_id, client_id = pool(stack)
    cognito = stack.cognito()
    started = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "sam.intake@clinic.example", "PASSWORD": printed["Password"]},
    )
    right = totp(printed["TOTP secret"])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": "sam.intake@clinic.example", "SOFTWARE_TOKEN_MFA_CODE": wrong},
        )


def test_the_pool_is_the_templates(stack: LocalStack) -> None:
    pool_id, client_id = pool(stack)
    cognito = stack.cognito()
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert cognito.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "ON"
    assert {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]} == {
        "intake",
        "clinician",
        "admin",
    }
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]  # the local stage only
    assert "ClientSecret" not in client
