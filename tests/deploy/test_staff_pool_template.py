"""infra/stack.yaml's staff user pool, read off the template (moto's CloudFormation cannot deploy it)."""

from __future__ import annotations

from tests.deploy.conftest import template


def test_the_staff_pool_is_admin_created_totp_required_with_long_passwords() -> None:
    resources = template()["Resources"]
    pool = resources["StaffUserPool"]["Properties"]
    assert pool["UserPoolName"] == {"Fn::Sub": "${AppName}-${Stage}-staff"}
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert resources["StaffUserPool"]["DeletionPolicy"] == "Retain"
    groups = {r["Properties"]["GroupName"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"intake", "clinician", "admin"}


def test_the_app_client_has_no_secret_and_password_sign_in_only_in_the_local_stage() -> None:
    data = template()
    client = data["Resources"]["StaffAppClient"]["Properties"]
    assert client["GenerateSecret"] is False
    condition, local_flows, deployed_flows = client["ExplicitAuthFlows"]["Fn::If"]
    assert data["Conditions"][condition] == {"Fn::Equals": [{"Ref": "Stage"}, "local"]}
    # The inbox page's password-then-TOTP sign-in, SRP for SDK clients, and token refresh; nothing else deployed.
    assert set(deployed_flows) == {"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert set(local_flows) == set(deployed_flows) | {"ALLOW_ADMIN_USER_PASSWORD_AUTH"}
    minutes = data["Parameters"]["StaffTokenMinutes"]
    assert 15 <= minutes["Default"] <= 60 and minutes["MaxValue"] <= 60
    assert client["TokenValidityUnits"] == {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"}


def test_the_id_token_carries_the_name_colleagues_see_and_only_an_admin_sets_it() -> None:
    client = template()["Resources"]["StaffAppClient"]["Properties"]
    assert {"email", "name"} <= set(client["ReadAttributes"])
    # A member's own access token may not write their name (the inbox shows it to colleagues as who did what).
    assert "name" not in client["WriteAttributes"] and set(client["WriteAttributes"]) <= set(client["ReadAttributes"])


def test_the_stage_configuration_can_read_the_pool_from_the_outputs() -> None:
    outputs = template()["Outputs"]
    assert {"StaffUserPoolId", "StaffUserPoolArn", "StaffClientId", "StaffIssuer"} <= set(outputs)
