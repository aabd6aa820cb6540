"""AWS and storage failures in plain words, with the exit code to leave with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.store import StorageUnavailable

if TYPE_CHECKING:
    from scripts.staff_cli.target import Target

# Exit codes (also in the README, "For staff").
OK = 0
ABORTED = 1  # erase not confirmed
USAGE = 2  # argparse's own code for a bad command line
NOT_FOUND = 3
CONFLICT = 4
SETUP = 5  # credentials, region, table or topic missing
UNAVAILABLE = 6  # AWS refused or could not be reached for now


class CliError(Exception):
    """A problem to tell the user in plain words, with the exit code to leave with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


_CREDENTIAL_ERRORS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_BAD_KEYS = {"UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException"}
_DENIED = {"AccessDeniedException", "AccessDenied", "AuthorizationError"}


def explain(exc: BaseException, target: Target) -> CliError:
    """A message and exit code for an AWS or storage failure: never a traceback."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoRegionError,
        ProfileNotFound,
        SSOError,
        TokenRetrievalError,
    )

    cause: BaseException = exc
    if isinstance(exc, StorageUnavailable) and exc.__cause__ is not None:
        cause = exc.__cause__
    name = type(cause).__name__
    code = name
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code", "ClientError"))
    elif isinstance(cause, StorageUnavailable):
        code = cause.code

    if name in _CREDENTIAL_ERRORS or isinstance(cause, (SSOError, TokenRetrievalError)):
        return CliError(
            "No AWS credentials found. Sign in first (for example `aws sso login --profile clinic`, "
            "then --profile clinic or AWS_PROFILE=clinic), or use --local for the local stack.",
            SETUP,
        )
    if isinstance(cause, ProfileNotFound):
        return CliError(f"{cause}. Check --profile or AWS_PROFILE.", SETUP)
    if isinstance(cause, NoRegionError):
        return CliError("No AWS region set. Pass --region, or set AWS_REGION or a region in your profile.", SETUP)
    if isinstance(cause, EndpointConnectionError):
        if target.local:
            return CliError(
                f"Cannot reach the local stack at {target.endpoint}. Is `make run` running? "
                "(If it uses another EMULATOR_PORT, set the same one here.)",
                UNAVAILABLE,
            )
        return CliError(f"Cannot reach AWS ({cause}). Check your network and AWS_ENDPOINT_URL.", UNAVAILABLE)
    if code in ("ResourceNotFoundException", "ResourceNotFound"):
        hint = " Is `make run` running?" if target.local else " Check --stage, --table or LEADS_TABLE, and --region."
        return CliError(f"There is no {target.where()}.{hint}", SETUP)
    if code == "NotFound":
        return CliError(f"The staff topic {target.topic_arn or ''} does not exist. Check --topic.", SETUP)
    if code in _EXPIRED:
        return CliError("Your AWS credentials have expired. Sign in again (for example `aws sso login`).", SETUP)
    if code in _BAD_KEYS:
        return CliError("AWS did not accept your credentials. Check your profile or access keys.", SETUP)
    if code in _DENIED:
        return CliError(
            f"AWS denied access ({code}). Your IAM identity needs the staff permissions on {target.where()}.",
            SETUP,
        )
    return CliError(
        f"AWS could not complete the request right now ({code}). Nothing was changed; try again.", UNAVAILABLE
    )
