"""Configuration: typed, validated at start-up, one clear line naming the bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.core.security.keys import SigningKeys, generate_private_key_pem
from src.core.security.sealing import Sealer, generate_data_key
from src.core.settings import Settings, SettingsError, load_settings

PRODUCTION = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://db/app",
    "JWT_PRIVATE_KEY": "@/run/secrets/jwt",
    "DATA_ENCRYPTION_KEY": "@/run/secrets/data-key",
    "SMTP_URL": "smtp+starttls://mailer:secret@smtp.avatars.example.org:587",
    "MAIL_FROM": "Avatar API <no-reply@avatars.example.org>",
    "ACCOUNT_LINKS_BASE_URL": "https://app.avatars.example.org",
}


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

    assert str(error.value) == f"{variable}={value!r} is invalid: {reason}"


def test_the_bad_value_itself_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"DB_POOL_MAX_SIZE": "postgresql://user:hunter2@db/app"})

    assert "hunter2" not in str(error.value)
    assert str(error.value).startswith("DB_POOL_MAX_SIZE='postgresql://user:***@db/app' is invalid")


@pytest.mark.parametrize(
    "variable", ["DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY", "JWT_PREVIOUS_PUBLIC_KEYS", "SMTP_URL"]
)
def test_secret_settings_are_never_echoed(variable: str) -> None:
    keys = {"JWT_PRIVATE_KEY": generate_private_key_pem().decode()}
    with pytest.raises(SettingsError) as error:
        SigningKeys.from_settings(load_settings({**keys, variable: "hunter2:secret"}))

    assert variable in str(error.value)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize("variable", ["DATA_ENCRYPTION_KEY", "DATA_ENCRYPTION_PREVIOUS_KEYS"])
def test_data_encryption_keys_are_never_echoed(variable: str) -> None:
    with pytest.raises(SettingsError) as error:
        Sealer.from_settings(load_settings({"DATA_ENCRYPTION_KEY": generate_data_key(), variable: "hunter2:secret"}))

    assert variable in str(error.value)
    assert "hunter2" not in str(error.value)


def test_production_accepts_the_two_factor_limits_at_their_bounds() -> None:
    settings = load_settings({**PRODUCTION, "MFA_CHALLENGE_TTL_SECONDS": "900", "TOTP_VALID_WINDOW": "2"})

    assert (settings.mfa_challenge_ttl_seconds, settings.totp_valid_window) == (900, 2)


def test_a_long_bad_value_is_cut() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"PORT": "9" * 500})

    assert len(str(error.value)) < 150


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DATABASE_URL": "mysql://db/app"}, "DATABASE_URL does not start with postgres:// or postgresql://;"),
        ({"DATABASE_URL": "db.internal:5432"}, "DATABASE_URL does not start with postgres:// or postgresql://;"),
        ({"DATABASE_URL": "postgresql://u:hunter2@db:port/app"}, "DATABASE_URL cannot be parsed as a URL"),
        ({"REDIS_URL": "valkey:6379"}, "REDIS_URL does not start with redis:// or rediss:// or unix://;"),
    ],
)
def test_service_urls_must_have_their_shape(environment: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(environment)

    assert str(error.value).startswith(message)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    "url", ["postgresql://db/app", "postgres://user:pass@db:5432/app", "postgresql:///app?host=/run/postgresql"]
)
def test_usual_database_urls_are_accepted(url: str) -> None:
    assert load_settings({"DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("avatars.example.com", "PUBLIC_BASE_URL='avatars.example.com' is not an http(s) URL"),
        ("ftp://avatars.example.com", "is not an http(s) URL"),
        ("https://", "is not an http(s) URL"),
        ("https://avatars.example.com:port", "cannot be parsed"),
        ("https://avatars.example.com/api", "must be an origin only"),
        ("https://avatars.example.com/?x=1", "must be an origin only"),
        ("https://avatars.example.com#top", "must be an origin only"),
        ("https://user:pw@avatars.example.com", "must be an origin only"),
    ],
)
def test_the_public_base_url_is_an_origin(url: str, message: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"PUBLIC_BASE_URL": url})

    assert message in str(error.value)


@pytest.mark.parametrize(
    ("url", "base_url"),
    [
        ("https://avatars.example.com", "https://avatars.example.com"),
        ("https://avatars.example.com/", "https://avatars.example.com"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
    ],
)
def test_an_origin_is_the_base_of_absolute_urls(url: str, base_url: str) -> None:
    assert load_settings({"PUBLIC_BASE_URL": url}).base_url == base_url


def test_without_a_public_base_url_only_production_has_no_base() -> None:
    assert load_settings({"HOST": "0.0.0.0", "PORT": "9000"}).base_url == "http://127.0.0.1:9000"  # noqa: S104
    assert load_settings(PRODUCTION).base_url is None
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL must use https:// when APP_ENV=production"):
        load_settings({**PRODUCTION, "PUBLIC_BASE_URL": "http://avatars.example.com"})
    assert load_settings({**PRODUCTION, "PUBLIC_BASE_URL": "https://avatars.example.com"}).base_url


def test_pool_bounds_must_be_ordered() -> None:
    with pytest.raises(SettingsError, match="DB_POOL_MIN_SIZE must not be greater than DB_POOL_MAX_SIZE"):
        load_settings({"DB_POOL_MIN_SIZE": "20", "DB_POOL_MAX_SIZE": "10"})


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL is required when APP_ENV=production"),
        ({"JWT_PRIVATE_KEY": ""}, "JWT_PRIVATE_KEY is required when APP_ENV=production"),
        ({"DATA_ENCRYPTION_KEY": ""}, "DATA_ENCRYPTION_KEY is required when APP_ENV=production"),
        ({"MFA_CHALLENGE_TTL_SECONDS": "901"}, "MFA_CHALLENGE_TTL_SECONDS above 900 is refused"),
        ({"TOTP_VALID_WINDOW": "3"}, "TOTP_VALID_WINDOW above 2 is refused"),
        ({"DEBUG": "1"}, "DEBUG=true is refused when APP_ENV=production"),
        ({"LOG_FORMAT": "console"}, "LOG_FORMAT=console is refused"),
        ({"TRUSTED_PROXIES": "0.0.0.0/0"}, "TRUSTED_PROXIES must not trust every address"),
        ({"OUTBOUND_ALLOWED_NETWORKS": "::/0"}, "OUTBOUND_ALLOWED_NETWORKS must not allow every address"),
        ({"PASSWORD_HASH_MEMORY_KIB": "1024"}, "PASSWORD_HASH_MEMORY_KIB >= 19456"),
        ({"SESSION_COOKIE_SECURE": "false"}, "SESSION_COOKIE_SECURE=false is refused when APP_ENV=production"),
        (
            {"CORS_ALLOW_CREDENTIALS": "true", "CORS_ALLOW_ORIGINS": "https://app.example.com,http://app.example.com"},
            "CORS_ALLOW_ORIGINS has 'http://app.example.com': with CORS_ALLOW_CREDENTIALS=true, production allows",
        ),
        (
            {"CORS_ALLOW_CREDENTIALS": "true", "CORS_ALLOW_ORIGINS": "https://*.example.com"},
            "CORS_ALLOW_ORIGINS has 'https://\\*.example.com'",
        ),
        ({"SMTP_URL": ""}, "SMTP_URL is required when APP_ENV=production"),
        ({"SMTP_URL": "smtp://relay.internal:25"}, "SMTP_URL uses plain smtp:// when APP_ENV=production"),
        ({"SMTP_VALIDATE_CERTS": "false"}, "SMTP_VALIDATE_CERTS=false is refused"),
        ({"MAIL_FROM": "no-reply@localhost"}, "MAIL_FROM must be an address of your own domain"),
        ({"ACCOUNT_LINKS_BASE_URL": ""}, "ACCOUNT_LINKS_BASE_URL or PUBLIC_BASE_URL is required"),
        ({"ACCOUNT_LINKS_BASE_URL": "http://app.example.org"}, "ACCOUNT_LINKS_BASE_URL must use https://"),
        ({"EMAIL_VERIFICATION_TTL_SECONDS": "172801"}, "EMAIL_VERIFICATION_TTL_SECONDS above 172800"),
        ({"PASSWORD_RESET_TTL_SECONDS": "3601"}, "PASSWORD_RESET_TTL_SECONDS above 3600"),
        ({"EMAIL_CHANGE_TTL_SECONDS": "172801"}, "EMAIL_CHANGE_TTL_SECONDS above 172800"),
    ],
)
def test_production_refuses_insecure_defaults(environment: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({**PRODUCTION, **environment})


def test_credentialed_cors_takes_exact_https_origins_in_production_and_any_in_development() -> None:
    origins = {"CORS_ALLOW_CREDENTIALS": "true", "CORS_ALLOW_ORIGINS": "https://app.example.com"}
    assert load_settings({**PRODUCTION, **origins}).cors_allow_origins == ("https://app.example.com",)
    # Without credentials, a public read may be shared with any origin, even in production.
    assert load_settings({**PRODUCTION, "CORS_ALLOW_ORIGINS": "http://a.example"}).cors_allow_credentials is False
    development = load_settings({"CORS_ALLOW_CREDENTIALS": "true", "CORS_ALLOW_ORIGINS": "http://localhost:5173"})
    assert development.session_cookie_secure is True  # the default: http://localhost takes Secure cookies


def test_cheap_password_hashes_are_for_tests_only() -> None:
    with pytest.raises(SettingsError, match="PASSWORD_HASH_MEMORY_KIB >= 19456"):
        load_settings({"PASSWORD_HASH_TIME_COST": "1"})

    assert load_settings({"APP_ENV": "test", "PASSWORD_HASH_TIME_COST": "1"}).password_hash_time_cost == 1


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"}, "cannot be combined"),
        ({"CORS_ALLOW_ORIGINS": "https://app.example/path"}, "use scheme://host"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,not-a-network"}, "TRUSTED_PROXIES has 'not-a-network'"),
        ({"REFRESH_TOKEN_TTL_SECONDS": "9000", "SESSION_MAX_AGE_SECONDS": "600"}, "must not be shorter"),
        ({"RATE_LIMIT_DEFAULT": "5/fortnight"}, "RATE_LIMIT_DEFAULT='5/fortnight' is invalid"),
        ({"OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1,localhost"}, "OUTBOUND_ALLOWED_NETWORKS has 'localhost'"),
        ({"WEBHOOK_RETRY_SCHEDULE": "5s,soon"}, "WEBHOOK_RETRY_SCHEDULE"),
        ({"TOTP_ISSUER": "Avatar: API"}, "TOTP_ISSUER='Avatar: API' is invalid"),
        ({"TOTP_VALID_WINDOW": "6"}, "TOTP_VALID_WINDOW='6' is invalid"),
        ({"MFA_CHALLENGE_TTL_SECONDS": "30"}, "MFA_CHALLENGE_TTL_SECONDS='30' is invalid"),
    ],
)
def test_rules_across_variables(environment: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environment)


def test_lists_are_comma_separated() -> None:
    settings = load_settings({"CORS_ALLOW_ORIGINS": "https://a.example, http://localhost:3000,"})

    assert settings.cors_allow_origins == ("https://a.example", "http://localhost:3000")


def test_production_logs_json_by_default() -> None:
    settings = load_settings(PRODUCTION)

    assert settings.log_as_json is True


@pytest.mark.parametrize(
    "entry",
    ["127.0.0.1/32:0", "127.0.0.1/32:70000", "127.0.0.1/32:9-8", "::1/128:443", "[::1/128]443", "10.0.0.0/8:http"],
)
def test_outbound_allowances_with_bad_ports_are_refused(entry: str) -> None:
    with pytest.raises(SettingsError, match="OUTBOUND_ALLOWED_NETWORKS has"):
        load_settings({"OUTBOUND_ALLOWED_NETWORKS": entry})


def test_plain_smtp_is_allowed_in_production_only_when_asked_for() -> None:
    relay = {**PRODUCTION, "SMTP_URL": "smtp://mail:1025"}
    with pytest.raises(SettingsError, match="SMTP_ALLOW_PLAINTEXT=true"):
        load_settings(relay)
    assert load_settings({**relay, "SMTP_ALLOW_PLAINTEXT": "true"}).smtp_url == "smtp://mail:1025"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"SMTP_URL": "http://mail.example.org"},
            r"SMTP_URL does not start with smtp:// or smtp\+starttls:// or smtps://",
        ),
        ({"SMTP_URL": "smtp://"}, "SMTP_URL names no host"),
        ({"SMTP_URL": "smtps://mail:port"}, "SMTP_URL cannot be parsed as a URL"),
        ({"MAIL_FROM": "Avatar API"}, "MAIL_FROM='Avatar API' holds no address"),
        ({"ACCOUNT_LINKS_BASE_URL": "https://app.example.org/path"}, "ACCOUNT_LINKS_BASE_URL=.* must be an origin"),
        ({"MAIL_RETRY_SCHEDULE": "10s,soon"}, "MAIL_RETRY_SCHEDULE='10s,soon' is invalid"),
    ],
)
def test_mail_settings_are_checked(environment: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environment)


def test_account_links_use_their_own_origin_else_the_public_one() -> None:
    assert load_settings({"PUBLIC_BASE_URL": "https://api.example.org/"}).links_base_url == "https://api.example.org"
    links = load_settings(
        {"PUBLIC_BASE_URL": "https://api.example.org", "ACCOUNT_LINKS_BASE_URL": "https://app.example.org"}
    )
    assert links.links_base_url == "https://app.example.org"
