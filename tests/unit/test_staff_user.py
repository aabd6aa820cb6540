"""`make staff-user`'s own pieces: TOTP codes, the otpauth URI, the passwords it makes."""

from __future__ import annotations

import shlex
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pyotp
import pytest

from chalicelib.auth import Role
from scripts.staff_user import create, main, new_password, otpauth_uri, totp


def test_totp_codes_match_the_reference_implementation() -> None:
    secret = pyotp.random_base32(32)
    for at in (0, 59, 1_800_000_000, 1_800_000_029, 1_800_000_030):
        assert totp(secret, at) == pyotp.TOTP(secret).at(at)


def test_rfc_6238_vector() -> None:
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890", T = 59 s: 94287082 (8 digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp(secret, 59) == "287082"


def test_the_otpauth_uri_is_what_authenticator_apps_read() -> None:
    secret = pyotp.random_base32(32)
    uri = otpauth_uri("sam@clinic.example", secret)
    parsed = urllib.parse.urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert urllib.parse.unquote(parsed.path) == "/Next Steps:sam@clinic.example"
    query = urllib.parse.parse_qs(parsed.query)
    assert query["secret"] == [secret] and query["issuer"] == ["Next Steps"]
    assert pyotp.parse_uri(uri).secret == secret


def test_passwords_meet_the_pools_policy() -> None:
    for _ in range(50):
        word = new_password()
        assert len(word) >= 12
        assert any(c.islower() for c in word) and any(c.isupper() for c in word) and any(c.isdigit() for c in word)


class Cognito:
    """A stand-in for the cognito-idp client: records the users and groups it is asked to make."""

    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.groups: list[tuple[str, str]] = []

    def admin_create_user(self, **kwargs: Any) -> None:
        self.users.append(kwargs)

    def admin_add_user_to_group(self, *, UserPoolId: str, Username: str, GroupName: str) -> None:
        self.groups.append((Username, GroupName))


def test_a_name_given_is_the_users_name_attribute_and_without_one_there_is_none() -> None:
    cognito = Cognito()
    create(cognito, "pool", "maria@clinic.example", Role.INTAKE, None, name="Maria Lopez")
    create(cognito, "pool", "sam@clinic.example", Role.ADMIN, None)
    named, plain = ({a["Name"]: a["Value"] for a in u["UserAttributes"]} for u in cognito.users)
    assert named == {"email": "maria@clinic.example", "email_verified": "true", "name": "Maria Lopez"}
    assert plain == {"email": "sam@clinic.example", "email_verified": "true"}
    assert cognito.groups == [("maria@clinic.example", "intake"), ("sam@clinic.example", "admin")]


def test_a_name_longer_than_the_inbox_shows_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--local", "--email", "maria@clinic.example", "--role", "intake", "--name", "M" * 101]) == 2
    assert "--name must be at most 100 characters" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["Maria O'Brien", "Pat $HOME", 'Jo "JJ" Lee', "Ana; rm -rf /"])
def test_make_staff_user_passes_the_name_through_exactly_as_typed(name: str) -> None:
    # `make -n` prints the command the shell would run; the shell's reading of it is what staff_user gets.
    root = Path(__file__).parents[2]
    printed = (
        subprocess.run(
            [
                "make",
                "-n",
                "--no-print-directory",
                "staff-user",
                f"NAME={name}",
                "EMAIL=pat@clinic.example",
                "ROLE=intake",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    words = shlex.split(printed)
    assert words[words.index("--name") + 1] == name
