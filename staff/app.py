"""Next Steps staff API: routes only (DESIGN.md, "Staff inbox").

Every data route is signed-in staff only. The inbox page's own files and its
sign-in settings are public: they load before anyone signs in and hold no data.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from chalice.app import Chalice, CognitoUserPoolAuthorizer, Response

from chalicelib import inbox_page, staff_api
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
LEAD = "/staff/leads/{lead_id}"
# Bodies are read as JSON by the edge whatever their declared type, so a wrong one is problem JSON too.
ANY_BODY = ["*/*"]


def _serve(action: Action, view: Callable[[staff_api.Call], Response]) -> Response:
    return staff_api.staff_route(app.current_request, staff_api.verifier, action, view)


@app.route("/staff/me", methods=["GET"], authorizer=authorizer)
def me() -> Response:
    """Who the signed-in staff member is, and their roles."""
    return _serve(Action.ME, staff_api.me)


@app.route("/staff/leads", methods=["GET"], authorizer=authorizer)
def list_leads() -> Response:
    """Leads newest first, urgent new leads first: filters and a cursor."""
    return _serve(Action.LIST, staff_api.list_leads)


@app.route(LEAD, methods=["GET"], authorizer=authorizer)
def view_lead(lead_id: str) -> Response:
    """The whole lead, its notes and history; acknowledges it."""
    return _serve(Action.VIEW, lambda call: staff_api.view_lead(call, lead_id))


@app.route(LEAD, methods=["DELETE"], authorizer=authorizer, content_types=ANY_BODY)
def erase_lead(lead_id: str) -> Response:
    """Erase the lead (admin only); its audit records stay."""
    return _serve(Action.ERASE, lambda call: staff_api.erase(call, lead_id))


@app.route(LEAD + "/claim", methods=["POST"], authorizer=authorizer, content_types=ANY_BODY)
def claim_lead(lead_id: str) -> Response:
    """Assign the lead to the caller; 409 if someone else holds it."""
    return _serve(Action.CLAIM, lambda call: staff_api.claim(call, lead_id))


@app.route(LEAD + "/status", methods=["POST"], authorizer=authorizer, content_types=ANY_BODY)
def change_status(lead_id: str) -> Response:
    """Move the lead on, only from the status the caller saw; 409 with the current one otherwise."""
    return _serve(Action.STATUS, lambda call: staff_api.change_status(call, lead_id))


@app.route(LEAD + "/notes", methods=["POST"], authorizer=authorizer, content_types=ANY_BODY)
def add_note(lead_id: str) -> Response:
    """Add a note to the lead; 201 and the note."""
    return _serve(Action.NOTE, lambda call: staff_api.add_note(call, lead_id))


@app.route(LEAD + "/restore", methods=["POST"], authorizer=authorizer, content_types=ANY_BODY)
def restore_lead(lead_id: str) -> Response:
    """Spam back to new, with one notice."""
    return _serve(Action.RESTORE, lambda call: staff_api.restore(call, lead_id))


@app.route("/staff/export", methods=["GET"], authorizer=authorizer)
def export() -> Response:
    """The leads created in a range, as a CSV download."""
    return _serve(Action.EXPORT, staff_api.export)


@app.route("/staff/stats", methods=["GET"], authorizer=authorizer)
def stats() -> Response:
    """Counts by status and source, and how fast leads are answered."""
    return _serve(Action.STATS, staff_api.stats)


@app.route("/staff/audit", methods=["GET"], authorizer=authorizer)
def audit() -> Response:
    """One day's audit records (admin only)."""
    return _serve(Action.AUDIT, staff_api.audit)


# -- the inbox page (public, no data) -------------------------------------------


@app.route("/staff", methods=["GET"])
def inbox() -> Response:
    """The inbox page, at /staff/."""
    return inbox_page.page(app.current_request)


@app.route("/staff/inbox.js", methods=["GET"])
def inbox_script() -> Response:
    """The page's script."""
    return inbox_page.asset("inbox.js")


@app.route("/staff/inbox.css", methods=["GET"])
def inbox_style() -> Response:
    """The page's style sheet."""
    return inbox_page.asset("inbox.css")


@app.route("/staff/qr.js", methods=["GET"])
def inbox_qr() -> Response:
    """The QR encoder the page draws the authenticator enrolment code with."""
    return inbox_page.asset("qr.js")


@app.route("/staff/config", methods=["GET"])
def inbox_config() -> Response:
    """Where the page signs in (the pool's app client), the clinic's time zone, the idle limit."""
    return inbox_page.config(app.current_request)


# -- a method a path does not take ----------------------------------------------
# Every staff path answers a method it does not take with 405 problem JSON and
# `Allow`, as the public app does, instead of Chalice's own 405 locally and
# API Gateway's "no such route" in AWS. `Allow` is read off the routes above,
# so it cannot fall behind them: this stays the last thing in the module.
#
# These answers take no token, in AWS or locally, on purpose: a 405 runs no
# staff action, reads no lead and says only which methods the path takes,
# which a 401 on the right method already gives away and the README documents.
# Guarding them would gain nothing, and would answer differently behind API
# Gateway's authorizer (its 401 before the function runs) than under `chalice
# local`. The routes above keep their authorizer and their own check, method by method.
# (OPTIONS is left to `chalice local` and API Gateway, which answer it themselves.)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _answer_other_methods(path: str, allowed: tuple[str, ...]) -> None:
    def wrong_method(**_path_params: str) -> Response:
        return staff_api.method_not_allowed(app.current_request, allowed)

    # Any body, so a wrong method is never a 415 first.
    others = [method for method in METHODS if method not in allowed]
    app.route(path, methods=others, content_types=ANY_BODY, name="wrong_method")(wrong_method)


for _path, _routes in list(app.routes.items()):
    _answer_other_methods(_path, tuple(_routes))
