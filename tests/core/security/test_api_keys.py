"""The API key format: what is refused before any database trip."""

from __future__ import annotations

import pytest

from src.core.security.api_keys import API_KEY_PREFIX, lookup_of, new_api_key, well_formed


def test_a_new_key_is_well_formed_and_unique() -> None:
    keys = {new_api_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(well_formed(key) and key.startswith(API_KEY_PREFIX) and len(key) == 53 for key in keys)
    assert len({lookup_of(key) for key in keys}) == 1000


@pytest.mark.parametrize(
    "change",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # the checksum
        lambda key: key[:10] + ("x" if key[10] != "x" else "y") + key[11:],  # a typo in the body
        lambda key: key[:-1] + "\xe9",  # latin-1, as a header is read
        lambda key: key[:-1] + "\u0661",  # a non-ASCII digit
        lambda key: key[:-1],
        lambda key: key + "0",
        lambda key: "ghp_" + key[4:],
        lambda key: key[:20] + "-" + key[21:],
    ],
)
def test_a_changed_key_is_refused(change: object) -> None:
    key = new_api_key()
    assert callable(change)
    assert not well_formed(change(key))
