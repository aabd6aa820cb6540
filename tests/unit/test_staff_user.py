"""`make staff-user`'s own pieces: TOTP codes, the otpauth URI, the passwords it makes."""

from __future__ import annotations

import urllib.parse

import pyotp

from scripts.staff_user import new_password, otpauth_uri, totp


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
