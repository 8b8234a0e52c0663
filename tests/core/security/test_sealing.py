"""Sealing: AES-GCM under DATA_ENCRYPTION_KEY, bound to a context, rotatable."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from src.core.security.sealing import DEV_DATA_KEY_FILE, Sealer, generate_data_key, parse_data_key
from src.core.settings import Settings, SettingsError
from tests.conftest import base_settings


def _key() -> bytes:
    return secrets.token_bytes(32)


def test_what_is_sealed_opens_with_its_context_only() -> None:
    sealer = Sealer(_key())
    sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", context=b"totp:ada")

    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert sealer.unseal(sealed, context=b"totp:ada") == b"JBSWY3DPEHPK3PXP"
    assert sealer.unseal(sealed, context=b"totp:grace") is None  # copied into another row


def test_each_seal_takes_a_fresh_nonce() -> None:
    sealer = Sealer(_key())

    assert sealer.seal(b"same", context=b"c") != sealer.seal(b"same", context=b"c")


@pytest.mark.parametrize("position", [0, 1, 5, 17, -1])
def test_an_altered_byte_anywhere_is_refused(position: int) -> None:
    sealer = Sealer(_key())
    sealed = bytearray(sealer.seal(b"secret", context=b"c"))
    sealed[position] ^= 0x01

    assert sealer.unseal(bytes(sealed), context=b"c") is None


def test_short_or_foreign_values_are_refused() -> None:
    sealer = Sealer(_key())

    assert sealer.unseal(b"", context=b"c") is None
    assert sealer.unseal(b"\x01" + b"\x00" * 40, context=b"c") is None
    assert Sealer(_key()).unseal(sealer.seal(b"secret", context=b"c"), context=b"c") is None  # another key


def test_a_rotation_keeps_old_values_readable_and_seals_new_ones_with_the_new_key() -> None:
    old, new = _key(), _key()
    before = Sealer(old).seal(b"secret", context=b"c")
    rotated = Sealer(new, [old])

    assert rotated.unseal(before, context=b"c") == b"secret"
    assert rotated.sealed_with_previous(before)
    after = rotated.seal(b"secret", context=b"c")
    assert not rotated.sealed_with_previous(after)
    assert Sealer(new).unseal(after, context=b"c") == b"secret"
    assert Sealer(new).unseal(before, context=b"c") is None  # the old key dropped: gone for good


def test_keys_are_base64url_padded_or_not() -> None:
    raw = _key()
    padded = base64.urlsafe_b64encode(raw).decode()

    assert parse_data_key(padded, "DATA_ENCRYPTION_KEY") == raw
    assert parse_data_key(padded.rstrip("="), "DATA_ENCRYPTION_KEY") == raw
    assert len(parse_data_key(generate_data_key(), "DATA_ENCRYPTION_KEY")) == 32


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("c2hvcnQ", "DATA_ENCRYPTION_KEY must be 32 bytes"),
        (base64.b64encode(b"\xfb" * 32).decode(), "DATA_ENCRYPTION_KEY is not base64url"),  # + and /
        ("not a key at all", "DATA_ENCRYPTION_KEY is not base64url"),
    ],
)
def test_a_bad_key_names_the_variable_and_not_the_value(value: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        Sealer.from_settings(base_settings(data_encryption_key=value))

    assert str(error.value).startswith(message)
    assert value not in str(error.value)


def test_keys_are_read_from_files(tmp_path: Path) -> None:
    primary, previous = tmp_path / "key", tmp_path / "old-key"
    primary.write_text(generate_data_key() + "\n")
    previous.write_text(generate_data_key())
    old = Sealer(parse_data_key(previous.read_text(), "x")).seal(b"secret", context=b"c")

    sealer = Sealer.from_settings(
        base_settings(data_encryption_key=f"@{primary}", data_encryption_previous_keys=(f"@{previous}",))
    )

    assert sealer.unseal(old, context=b"c") == b"secret"
    with pytest.raises(SettingsError, match=r"DATA_ENCRYPTION_KEY points to .* which cannot be read"):
        Sealer.from_settings(base_settings(data_encryption_key=f"@{tmp_path / 'missing'}"))


def test_development_generates_one_key_under_data_dir_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    sealed = Sealer.from_settings(settings).seal(b"secret", context=b"c")

    path = tmp_path / "data" / DEV_DATA_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert Sealer.from_settings(settings).unseal(sealed, context=b"c") == b"secret"  # the same key next start
    assert [entry.name for entry in path.parent.iterdir()] == [DEV_DATA_KEY_FILE]  # no temporary file left
