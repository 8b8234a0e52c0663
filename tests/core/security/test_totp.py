"""TOTP (RFC 6238) steps and backup codes, against codes computed by pyotp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from src.core.security.totp import (
    hash_backup_code,
    matching_step,
    new_backup_codes,
    new_secret,
    normalize_backup_code,
    provisioning_uri,
)

NOW = datetime(2026, 12, 6, 21, 0, 15, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30


def test_a_code_of_now_matches_the_current_step() -> None:
    secret = new_secret()

    assert matching_step(secret, pyotp.TOTP(secret).at(NOW), now=NOW, window=1) == STEP


@pytest.mark.parametrize("offset", [-1, 1])
def test_codes_of_neighbouring_steps_match_within_the_window(offset: int) -> None:
    secret = new_secret()
    code = pyotp.TOTP(secret).at(NOW + timedelta(seconds=30 * offset))

    assert matching_step(secret, code, now=NOW, window=1) == STEP + offset
    assert matching_step(secret, code, now=NOW, window=0) is None


def test_codes_outside_the_window_do_not_match() -> None:
    secret = new_secret()
    for offset in (-2, 2, 40):
        code = pyotp.TOTP(secret).at(NOW + timedelta(seconds=30 * offset))
        if code not in {
            pyotp.TOTP(secret).at(NOW, counter_offset=i) for i in (-1, 0, 1)
        }:  # a collision would be chance
            assert matching_step(secret, code, now=NOW, window=1) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", " 123456", "\uff11\uff12\uff13\uff14\uff15\uff16"])
def test_what_is_not_six_ascii_digits_never_matches(code: str) -> None:
    assert matching_step(new_secret(), code, now=NOW, window=5) is None


def test_the_rfc_6238_test_vector() -> None:
    """Appendix B, SHA-1, T = 59 s: 94287082 (8 digits); its last six are the 6-digit code."""
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    at = datetime.fromtimestamp(59, UTC)

    assert matching_step(secret, "287082", now=at, window=0) == 1


def test_secrets_are_160_random_bits_of_base32() -> None:
    secrets = {new_secret() for _ in range(20)}

    assert len(secrets) == 20
    assert all(len(secret) == 32 and pyotp.TOTP(secret).byte_secret() for secret in secrets)


def test_the_provisioning_uri_names_issuer_and_account() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", account_name="ada@example.com", issuer="Avatar API")

    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert parsed.name == "ada@example.com"
    assert parsed.issuer == "Avatar API"


def test_backup_codes_are_ten_distinct_codes_with_their_hashes() -> None:
    shown, hashes = new_backup_codes()

    assert len(shown) == len(set(shown)) == 10
    assert len(set(hashes)) == 10
    for code, digest in zip(shown, hashes, strict=True):
        normalized = normalize_backup_code(code)
        assert normalized is not None
        assert hash_backup_code(normalized) == digest
        assert len(digest) == 32


def test_a_backup_code_is_forgiven_its_dashes_case_and_look_alikes() -> None:
    assert normalize_backup_code("7k3q 9zpm-2hxv w4tr") == "7K3Q9ZPM2HXVW4TR"
    assert normalize_backup_code("O0IL-0000-1111-AAAA") == "001100001111AAAA"


@pytest.mark.parametrize("code", ["", "7K3Q-9ZPM-2HXV", "7K3Q-9ZPM-2HXV-W4TRX", "7K3Q-9ZPM-2HXV-W4TU", "123456"])
def test_what_cannot_be_a_backup_code_is_refused(code: str) -> None:
    assert normalize_backup_code(code) is None
