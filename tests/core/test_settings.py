"""Configuration: typed, validated at start-up, one clear line naming the bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.core.settings import Settings, SettingsError, load_settings


def test_no_environment_gives_development_defaults() -> None:
    settings = load_settings({})

    assert settings == Settings()
    assert settings.app_env == "development"
    assert settings.database_url is None
    assert settings.log_as_json is False


def test_values_are_converted_to_their_types() -> None:
    settings = load_settings(
        {
            "PORT": "9000",
            "DEBUG": "true",
            "DB_ACQUIRE_TIMEOUT": "0.5",
            "DATA_DIR": "/srv/data",
            "LOG_FORMAT": "json",
            "DATABASE_URL": " postgresql://db/app ",
        }
    )

    assert settings.port == 9000
    assert settings.debug is True
    assert settings.db_acquire_timeout == 0.5
    assert settings.data_dir == Path("/srv/data")
    assert settings.log_as_json is True
    assert settings.database_url == "postgresql://db/app"


def test_an_empty_optional_value_means_unset() -> None:
    assert load_settings({"DATABASE_URL": ""}).database_url is None


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("PORT", "abc", "Expected `int`, got `str`"),
        ("PORT", "70000", "Expected `int` <= 65535"),
        ("WORKERS", "0", "Expected `int` >= 1"),
        ("APP_ENV", "prod", "Invalid enum value 'prod'"),
        ("DEBUG", "maybe", "Expected `bool`, got `str`"),
        ("DB_ACQUIRE_TIMEOUT", "-1", "Expected `float` > 0.0"),
        ("LOG_LEVEL", "loud", "Invalid enum value 'loud'"),
    ],
)
def test_a_bad_value_names_the_variable(variable: str, value: str, reason: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({variable: value})

    assert str(error.value) == f"{variable} is invalid: {reason}"


def test_the_bad_value_itself_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"DB_POOL_MAX_SIZE": "postgresql://user:hunter2@db/app"})

    assert "hunter2" not in str(error.value)


def test_pool_bounds_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="DB_POOL_MIN_SIZE must not be greater than DB_POOL_MAX_SIZE"):
        load_settings({"DB_POOL_MIN_SIZE": "20", "DB_POOL_MAX_SIZE": "10"})


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "DATABASE_URL is required when APP_ENV=production"),
        ({"DATABASE_URL": "postgresql://db/app", "DEBUG": "1"}, "DEBUG=true is refused when APP_ENV=production"),
        ({"DATABASE_URL": "postgresql://db/app", "LOG_FORMAT": "console"}, "LOG_FORMAT=console is refused"),
    ],
)
def test_production_refuses_insecure_defaults(environment: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"APP_ENV": "production", **environment})


def test_production_logs_json_by_default() -> None:
    settings = load_settings({"APP_ENV": "production", "DATABASE_URL": "postgresql://db/app"})

    assert settings.log_as_json is True
