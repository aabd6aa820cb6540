"""Next Steps staff API: routes only. Every route is signed-in staff only (DESIGN.md, "Staff inbox")."""

from __future__ import annotations

import os

from chalice.app import Chalice, CognitoUserPoolAuthorizer, Response

from chalicelib import staff_api
from chalicelib.auth import Action

app = Chalice(app_name="next-steps-staff")

# The pool's ARN is a deploy-time setting Chalice needs at import to build the
# API's authorizer; `make configure` writes it into the stage's environment.
# API Gateway checks the token with it in AWS; `chalice local` does not check
# Cognito tokens, so every view also verifies the token itself (staff_route).
authorizer = CognitoUserPoolAuthorizer(
    "StaffPool",
    provider_arns=[
        os.environ.get("STAFF_USER_POOL_ARN", "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_unset")
    ],
)


@app.route("/staff/me", methods=["GET"], authorizer=authorizer)
def me() -> Response:
    """Who the signed-in staff member is, and their roles."""
    return staff_api.staff_route(app.current_request, staff_api.verifier, Action.ME, staff_api.me)
