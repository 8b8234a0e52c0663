"""Typed configuration, read from environment variables once at start-up.

Every field of `Settings` is one environment variable: the field name upper-cased
(`db_pool_max_size` <- `DB_POOL_MAX_SIZE`). Values are converted and checked with
msgspec, so a bad value stops start-up with one line that names the variable. Settings
are then passed down explicitly (`create_app(settings)`); nothing below this module reads
the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from src.core.text import END

__all__ = (
    "PROJECT_ROOT",
    "WEB_PORTS",
    "WINDOW_SECONDS",
    "NetworkAllowance",
    "Settings",
    "SettingsError",
    "load_settings",
    "parse_network_allowance",
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

type Environment = Literal["development", "test", "production"]
type LogFormat = Literal["auto", "json", "console"]
type LogLevel = Literal["debug", "info", "warning", "error"]
type PositiveInt = Annotated[int, Meta(ge=1)]
type Seconds = Annotated[float, Meta(gt=0, le=3600)]
type Port = Annotated[int, Meta(ge=1, le=65535)]
# A project id (6-30 characters: lower-case letters, digits, hyphens), optionally behind
# the domain of a legacy domain-scoped project (example.com:my-project).
type GoogleCloudProject = Annotated[str, Meta(pattern=rf"^([a-z0-9.-]+:)?[a-z][a-z0-9-]{{4,28}}[a-z0-9]{END}")]
# "<requests>/<second|minute|hour|day>", e.g. "300/minute".
type RateSpec = Annotated[str, Meta(pattern=rf"^[1-9][0-9]{{0,6}}/(second|minute|hour|day){END}")]

WINDOW_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
# OWASP Password Storage Cheat Sheet, Argon2id minimum.
OWASP_ARGON2_MEMORY_KIB = 19_456
OWASP_ARGON2_TIME_COST = 2


class SettingsError(Exception):
    """A configuration problem, phrased as the one line an operator needs to fix it."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # --- the process ---------------------------------------------------------------
    app_env: Environment = "development"
    host: str = "127.0.0.1"
    port: Port = 8000
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    # Granian waits this long for in-flight requests on SIGTERM, then kills the worker.
    # Keep it below the orchestrator's grace period (Kubernetes: 30 s).
    shutdown_timeout: Seconds = 20.0
    data_dir: Path = PROJECT_ROOT / ".data"
    debug: bool = False
    # The origin clients reach the service at (https://api.example.com), for the absolute
    # URLs of the documents it serves (OAuth discovery); never taken from a request's Host.
    public_base_url: str | None = None

    # --- PostgreSQL ------------------------------------------------------------------
    # Unset in development: `api serve` starts an embedded PostgreSQL under DATA_DIR.
    database_url: str | None = None
    db_pool_min_size: Annotated[int, Meta(ge=0, le=1000)] = 2
    db_pool_max_size: Annotated[int, Meta(ge=1, le=1000)] = 10
    # Waiting for a free connection longer than this answers 503 instead of hanging.
    db_acquire_timeout: Seconds = 2.0
    # The line for a connection (core.data.waiting_line): a client's waiters that stood
    # longer than the target, without a break for the interval, are refused at once (503).
    db_queue_target: Seconds = 0.25
    db_queue_interval: Seconds = 0.5
    db_connect_timeout: Seconds = 5.0
    # Client-side bound on every query, and the server-side statement_timeout.
    db_command_timeout: Seconds = 5.0
    db_statement_timeout_ms: Annotated[int, Meta(ge=1, le=3_600_000)] = 5000
    # Connections idle for longer are closed, so a restarted database is forgotten quickly.
    db_max_idle_seconds: Seconds = 300.0
    # How long start-up waits for the database to accept connections before giving up.
    db_startup_timeout: Seconds = 30.0
    migrate_on_startup: bool = True
    # How long an instance waits for another one that is applying migrations.
    migration_lock_timeout: Seconds = 120.0
    migrations_dir: Path = PROJECT_ROOT / "migrations"

    # --- outbound HTTP (the shared aiohttp session) ---------------------------------
    http_client_timeout: Seconds = 10.0
    http_client_connect_timeout: Seconds = 3.0
    http_client_max_connections: PositiveInt = 100
    http_client_max_connections_per_host: PositiveInt = 10

    # --- Redis / Valkey (optional): shared rate-limit counters across workers/instances -
    redis_url: str | None = None
    redis_timeout: Annotated[float, Meta(gt=0, le=10)] = 0.25
    # Namespaces every key, so environments or services can share one Redis.
    redis_key_prefix: Annotated[str, Meta(min_length=1, max_length=64)] = "avatar-api:"
    # Whether readiness fails while Redis is down. Off by default: rate limiting falls
    # back to per-worker counters, so an instance without Redis can still serve.
    readiness_requires_redis: bool = False

    # --- rate limits -----------------------------------------------------------------
    rate_limit_enabled: bool = True
    rate_limit_default: RateSpec = "300/minute"
    # The strict policy that sign-up and login opt into, always per client address.
    rate_limit_auth: RateSpec = "10/minute"
    # Webhook pings: each makes us call someone's server while the caller waits (per user).
    rate_limit_ping: RateSpec = "10/minute"
    # Per-address limits count an IPv6 client by its network of this many bits (a host holds a /64).
    rate_limit_ipv6_prefix: Annotated[int, Meta(ge=32, le=128)] = 64
    # Proxies whose X-Forwarded-For is believed (CIDRs, comma-separated). Empty: the
    # client address is the TCP peer, and X-Forwarded-For is ignored.
    trusted_proxies: tuple[str, ...] = ()

    # --- browsers --------------------------------------------------------------------
    # Origins allowed by CORS (comma-separated, exact). Empty: no CORS headers at all.
    cors_allow_origins: tuple[str, ...] = ()
    cors_allow_credentials: bool = False
    cors_max_age: Annotated[int, Meta(ge=0, le=86_400)] = 600
    hsts_max_age: Annotated[int, Meta(ge=0, le=63_072_000)] = 31_536_000
    # The browser session's cookies (/auth/browser/*) are Secure, and named __Secure-/__Host-.
    # false only for plain-http development on a host other than localhost (browsers take
    # Secure cookies from http://localhost); refused in production.
    session_cookie_secure: bool = True

    # --- accounts and tokens -------------------------------------------------------------
    # ES256 signing key: PEM text, or @/path/to/key.pem. Unset in development: a key is
    # generated under DATA_DIR (with a warning). Production refuses to start without one.
    jwt_private_key: str | None = None
    # Previous public keys still accepted and published in the JWKS during a rotation
    # (PEM text or @/path; several PEM blocks may follow each other).
    jwt_previous_public_keys: str | None = None
    jwt_issuer: Annotated[str, Meta(min_length=1)] = "avatar-api"
    jwt_audience: Annotated[str, Meta(min_length=1)] = "avatar-api"
    access_token_ttl_seconds: Annotated[int, Meta(ge=60, le=3600)] = 900
    # A refresh token expires when unused this long; a session (token family) ends at
    # its maximum age whatever happens.
    refresh_token_ttl_seconds: Annotated[int, Meta(ge=300, le=31_536_000)] = 14 * 86_400
    session_max_age_seconds: Annotated[int, Meta(ge=300, le=31_536_000)] = 90 * 86_400
    # A refresh token presented again this soon after it was rotated (two tabs, a retry
    # after a timeout) gets the same successor instead of revoking the session; 0: never.
    refresh_reuse_grace_seconds: Annotated[int, Meta(ge=0, le=60)] = 10
    # Argon2id. The defaults are OWASP's minimum (m=19 MiB, t=2, p=1); lower values are
    # refused outside APP_ENV=test, where tests use cheap hashes.
    password_hash_memory_kib: Annotated[int, Meta(ge=8, le=4_194_304)] = 19_456
    password_hash_time_cost: Annotated[int, Meta(ge=1, le=20)] = 2
    password_hash_parallelism: Annotated[int, Meta(ge=1, le=16)] = 1
    # Hashes computed at once per worker (each takes the memory above), and how many may
    # wait for a turn before logins are answered 503.
    password_hash_concurrency: Annotated[int, Meta(ge=1, le=64)] = 2
    password_hash_queue: Annotated[int, Meta(ge=0, le=10_000)] = 64
    # Failed logins per account per window before that account answers 429 (whoever asks).
    login_failures_per_account: RateSpec = "20/hour"

    # --- data encryption and two-factor sign-in ------------------------------------------
    # AES-256-GCM key that seals secrets the service must read back (TOTP secrets):
    # 32 random bytes as base64url, or @/path/to/file holding them. Unset in development: a
    # key is generated under DATA_DIR. Production refuses to start without one. Independent
    # of JWT_PRIVATE_KEY, so rotating the signing key does not orphan what is sealed.
    data_encryption_key: str | None = None
    # Keys that sealed data before a rotation and still open it (comma-separated, each
    # base64url or @/path); new data is sealed with DATA_ENCRYPTION_KEY.
    data_encryption_previous_keys: tuple[str, ...] = ()
    # The second step of a login with TOTP on: how long its challenge lives, and how many
    # codes it takes before it is spent.
    mfa_challenge_ttl_seconds: Annotated[int, Meta(ge=60, le=3600)] = 300
    mfa_challenge_max_attempts: Annotated[int, Meta(ge=1, le=20)] = 5
    # Time steps (30 s each) accepted before and after now, for clock drift.
    totp_valid_window: Annotated[int, Meta(ge=0, le=5)] = 1
    # The issuer authenticator apps show beside the account (no `:`, RFC 6238 key URIs).
    totp_issuer: Annotated[str, Meta(min_length=1, max_length=64, pattern=rf"^[^:\x00-\x1f\x7f]+{END}")] = "Avatar API"
    # --- account e-mail: verification, address changes, resets (docs/authentication.md) --
    # Unverified accounts may not create or ping webhooks (403 email_not_verified).
    email_verification_required: bool = True
    # How long a verification link works; production refuses more than two days.
    email_verification_ttl_seconds: Annotated[int, Meta(ge=600, le=604_800)] = 86_400
    # How long the link that confirms a new address works; production refuses more than two days.
    email_change_ttl_seconds: Annotated[int, Meta(ge=600, le=604_800)] = 86_400
    # How long a password reset link works; production refuses more than an hour.
    password_reset_ttl_seconds: Annotated[int, Meta(ge=300, le=86_400)] = 1800
    # Account e-mail per account, and per target address, per window (the public mail
    # endpoints are also limited per client by the strict `auth` policy).
    rate_limit_email: RateSpec = "5/hour"

    # --- webhooks and other outbound calls to addresses users give us -------------------
    # Plain http:// targets (https only by default).
    webhook_allow_http: bool = False
    # Networks reachable despite being private/loopback/link-local (comma-separated CIDRs,
    # each with its ports: 127.0.0.1/32:8443; a bare one allows 80 and 443 only).
    # Never "everything" in production.
    outbound_allowed_networks: tuple[str, ...] = ()
    webhook_timeout: Annotated[float, Meta(gt=0, le=60)] = 10.0
    webhook_max_response_bytes: Annotated[int, Meta(ge=0, le=10_485_760)] = 65_536
    # Delays before each retry ("5s,5m,30m,2h,5h,10h,24h"); a delivery is abandoned after the last.
    webhook_retry_schedule: Annotated[str, Meta(pattern=rf"^[0-9]+[smhd](,[0-9]+[smhd])*{END}")] = (
        "5s,5m,30m,2h,5h,10h,24h"
    )
    # An endpoint failing without a success for this long is disabled.
    webhook_disable_after_seconds: Annotated[int, Meta(ge=60, le=31_536_000)] = 5 * 86_400
    # After a rotation the previous secret keeps signing (beside the new one) this long.
    webhook_secret_grace_seconds: Annotated[int, Meta(ge=0, le=30 * 86_400)] = 86_400
    webhook_concurrency: Annotated[int, Meta(ge=1, le=256)] = 16
    webhook_concurrency_per_endpoint: Annotated[int, Meta(ge=1, le=64)] = 4
    # Pings in flight at once per user, across all workers and instances.
    webhook_ping_concurrency: Annotated[int, Meta(ge=1, le=16)] = 1
    # Poll for due deliveries this often even without a NOTIFY (a retry falling due, a lost notification).
    webhook_poll_seconds: Annotated[float, Meta(gt=0, le=300)] = 5.0
    webhook_dispatcher_enabled: bool = True
    # Events, their deliveries and the delivery log are kept this long, then removed.
    webhook_retention_days: Annotated[int, Meta(ge=1, le=365)] = 14

    # --- outbound e-mail (the mail outbox and its sender) ---------------------------------
    # smtp://host:25 (plain: with SMTP_ALLOW_PLAINTEXT in production), smtp+starttls://host:587
    # (STARTTLS required), smtps://host:465 (TLS from the start); user:password URL-encoded.
    # Unset in development: `api serve` starts a sink that writes each message under DATA_DIR/mail.
    smtp_url: str | None = None
    # Plain smtp:// in production, for a relay on a private hop (compose's mail service).
    smtp_allow_plaintext: bool = False
    # Bounds each connect, command and reply of one SMTP conversation.
    smtp_timeout: Annotated[float, Meta(gt=0, le=60)] = 10.0
    smtp_validate_certs: bool = True
    # CA bundle (PEM) the relay's certificate is checked against; unset: the system's.
    smtp_ca_file: Path | None = None
    mail_from: Annotated[str, Meta(min_length=3, max_length=254)] = "Avatar API <no-reply@localhost>"
    # The origin account links in mail point at (the web app's pages /verify-email and
    # /reset-password read the token from the link's fragment); unset: PUBLIC_BASE_URL.
    account_links_base_url: str | None = None
    # Delays before each retry of a temporary failure; a message is given up after the last.
    mail_retry_schedule: Annotated[str, Meta(pattern=rf"^[0-9]+[smhd](,[0-9]+[smhd])*{END}")] = "10s,1m,5m,30m,2h,6h"
    mail_poll_seconds: Annotated[float, Meta(gt=0, le=300)] = 5.0
    # Messages sent at once per worker.
    mail_concurrency: Annotated[int, Meta(ge=1, le=64)] = 4
    mail_sender_enabled: bool = True
    # Sent and given-up rows (already wiped of their message) are removed after this long.
    mail_retention_days: Annotated[int, Meta(ge=1, le=365)] = 7

    # --- the HTTP edge -----------------------------------------------------------------
    readiness_timeout: Seconds = 1.0
    # Seconds a client is told to wait (Retry-After) when a dependency is unavailable.
    retry_after_seconds: Annotated[int, Meta(ge=1, le=3600)] = 2
    max_request_body_bytes: Annotated[int, Meta(ge=1024, le=100_000_000)] = 64 * 1024

    # --- logging and metrics -------------------------------------------------------------
    log_level: LogLevel = "info"
    # auto: JSON in production, readable colourless text otherwise.
    log_format: LogFormat = "auto"
    # On Google Cloud: JSON lines then carry the fields Cloud Logging links traces by
    # (logging.googleapis.com/trace, .../spanId), once tracing supplies a trace id.
    google_cloud_project: GoogleCloudProject | None = None
    # Serve /metrics on this port only, from a listener of its own (unset: /metrics is
    # served on PORT, beside the API).
    metrics_port: Port | None = None

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def log_as_json(self) -> bool:
        if self.log_format == "auto":
            return self.is_production
        return self.log_format == "json"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", ""} else self.host  # noqa: S104 - display only
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str | None:
        """The origin for absolute URLs: PUBLIC_BASE_URL; unset, where Granian listens
        outside production, and unknown (None) in production."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return None if self.is_production else self.public_url

    @property
    def links_base_url(self) -> str | None:
        """The origin of links in account e-mail: ACCOUNT_LINKS_BASE_URL, else `base_url`."""
        if self.account_links_base_url:
            return self.account_links_base_url.rstrip("/")
        return self.base_url

    def with_changes(self, **changes: Any) -> Self:
        return msgspec.structs.replace(self, **changes)


# Settings whose values may hold a secret: never echoed in an error.
_SECRET_SETTINGS: Final = frozenset(
    {
        "database_url",
        "redis_url",
        "jwt_private_key",
        "jwt_previous_public_keys",
        "data_encryption_key",
        "data_encryption_previous_keys",
        "smtp_url",
    }
)
_DATABASE_SCHEMES: Final = frozenset({"postgres", "postgresql"})
_REDIS_SCHEMES: Final = frozenset({"redis", "rediss", "unix"})
_SMTP_SCHEMES: Final = frozenset({"smtp", "smtp+starttls", "smtps"})


_CREDENTIALS: Final = re.compile(r"(://[^:/@]*:)[^@]*@")
_SHOWN_MAX: Final = 60


def _shown(raw: str) -> str:
    """A bad value as an error may show it: a password pasted into the wrong variable is
    masked, and a long value is cut."""
    shown = _CREDENTIALS.sub(r"\1***@", raw)
    return repr(shown if len(shown) <= _SHOWN_MAX else shown[:_SHOWN_MAX] + "...")


def _env_name(field_name: str) -> str:
    return field_name.upper()


def _convert(field: msgspec.structs.FieldInfo, raw: str) -> Any:
    # Empty means "unset" for optional values, so `DATABASE_URL=` in an env file is not a URL.
    if raw == "" and field.default is None:
        return None
    value: Any = raw
    if isinstance(field.default, tuple):  # list settings are comma-separated
        value = [item.strip() for item in raw.split(",") if item.strip()]
    return msgspec.convert(value, type=field.type, strict=False, dec_hook=_decode_extra_types)


def _decode_extra_types(type_: type, value: Any) -> Any:
    if type_ is Path and isinstance(value, str):
        return Path(value).expanduser()
    raise NotImplementedError


def _check_rules(settings: Settings) -> None:
    """Rules that involve more than one variable, and what production refuses."""
    if settings.db_pool_min_size > settings.db_pool_max_size:
        raise SettingsError("DB_POOL_MIN_SIZE must not be greater than DB_POOL_MAX_SIZE")
    if settings.db_queue_target >= settings.db_acquire_timeout:
        # A line standing at a target that long would time out before it could be refused.
        raise SettingsError("DB_QUEUE_TARGET must be shorter than DB_ACQUIRE_TIMEOUT")
    if settings.metrics_port is not None and settings.metrics_port == settings.port:
        raise SettingsError("METRICS_PORT must differ from PORT (unset METRICS_PORT to serve /metrics on PORT)")
    if settings.session_max_age_seconds < settings.refresh_token_ttl_seconds:
        raise SettingsError("SESSION_MAX_AGE_SECONDS must not be shorter than REFRESH_TOKEN_TTL_SECONDS")
    _check_browser_rules(settings)
    _check_network_rules(settings)
    _check_urls(settings)
    weak_hash = (
        settings.password_hash_memory_kib < OWASP_ARGON2_MEMORY_KIB
        or settings.password_hash_time_cost < OWASP_ARGON2_TIME_COST
    )
    if weak_hash and settings.app_env != "test":
        raise SettingsError(
            "PASSWORD_HASH_MEMORY_KIB >= 19456 and PASSWORD_HASH_TIME_COST >= 2 are required outside APP_ENV=test"
        )
    if settings.is_production:
        _check_production(settings)


def _check_browser_rules(settings: Settings) -> None:
    if "*" in settings.cors_allow_origins and settings.cors_allow_credentials:
        raise SettingsError("CORS_ALLOW_ORIGINS=* cannot be combined with CORS_ALLOW_CREDENTIALS=true")
    for origin in settings.cors_allow_origins:
        if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
            raise SettingsError(f"CORS_ALLOW_ORIGINS has {origin!r}: use scheme://host[:port], with no path")
    if not settings.is_production:
        return
    if not settings.session_cookie_secure:
        raise SettingsError("SESSION_COOKIE_SECURE=false is refused when APP_ENV=production")
    if settings.cors_allow_credentials:
        # A credentialed origin may read answers made with the user's cookies: it must be
        # the one page it says it is (no plain http, no pattern matching hosts yet unknown).
        for origin in settings.cors_allow_origins:
            if not origin.startswith("https://") or "*" in origin:
                raise SettingsError(
                    f"CORS_ALLOW_ORIGINS has {origin!r}: with CORS_ALLOW_CREDENTIALS=true, production allows "
                    "exact https:// origins only"
                )


class NetworkAllowance(msgspec.Struct, frozen=True):
    """One entry of OUTBOUND_ALLOWED_NETWORKS: an internal network webhooks may reach, on
    these ports (None: any). A bare network allows the web ports only, 80 and 443:
    `127.0.0.1/32` must not also open `https://127.0.0.1:6379/` (Redis) or `:5432`."""

    network: IPv4Network | IPv6Network
    ports: frozenset[int] | None

    def allows(self, address: IPv4Address | IPv6Address, port: int) -> bool:
        return address in self.network and (self.ports is None or port in self.ports)


WEB_PORTS: Final = frozenset({80, 443})


def parse_network_allowance(entry: str) -> NetworkAllowance:
    """`127.0.0.1/32` (ports 80 and 443), `127.0.0.1/32:8443`, `10.0.0.0/8:8000-8999`,
    `127.0.0.1/32:*` (any port); IPv6 in brackets when it names ports: `[fd00::/8]:8443`."""
    network_text, ports_text = entry, ""
    if entry.startswith("["):
        network_text, _, ports_text = entry[1:].partition("]")
        if ports_text and not ports_text.startswith(":"):
            raise ValueError(entry)
        ports_text = ports_text[1:]
    elif entry.count(":") == 1:
        network_text, _, ports_text = entry.partition(":")
    network = ip_network(network_text, strict=False)
    if not ports_text:
        return NetworkAllowance(network, WEB_PORTS)
    if ports_text == "*":
        return NetworkAllowance(network, None)
    low_text, _, high_text = ports_text.partition("-")
    low, high = int(low_text), int(high_text or low_text)
    if not 1 <= low <= high <= 65535:
        raise ValueError(entry)
    return NetworkAllowance(network, frozenset(range(low, high + 1)))


def _check_network_rules(settings: Settings) -> None:
    for network in settings.trusted_proxies:
        try:
            ip_network(network, strict=False)
        except ValueError:
            raise SettingsError(f"TRUSTED_PROXIES has {network!r}, which is not an address or CIDR") from None
    for entry in settings.outbound_allowed_networks:
        try:
            parse_network_allowance(entry)
        except ValueError:
            raise SettingsError(
                f"OUTBOUND_ALLOWED_NETWORKS has {entry!r}: use an address or CIDR, optionally with ports "
                "(127.0.0.1/32:8443, 10.0.0.0/8:8000-8999, [fd00::/8]:*)"
            ) from None


def _check_urls(settings: Settings) -> None:
    """The shape of the service URLs, so a typo stops start-up here instead of in every
    worker's first connection attempt. The values are not echoed: they hold passwords."""
    for variable, url, schemes, example in (
        ("DATABASE_URL", settings.database_url, _DATABASE_SCHEMES, "postgresql://user:password@host:5432/database"),
        ("REDIS_URL", settings.redis_url, _REDIS_SCHEMES, "redis://host:6379/0"),
        ("SMTP_URL", settings.smtp_url, _SMTP_SCHEMES, "smtp+starttls://user:password@mail.example.com:587"),
    ):
        if url is None:
            continue
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - parsing the port is the check (a non-number raises)
        except ValueError:
            raise SettingsError(f"{variable} cannot be parsed as a URL; expected {example}") from None
        if parts.scheme not in schemes:
            accepted = " or ".join(f"{scheme}://" for scheme in sorted(schemes))
            raise SettingsError(f"{variable} does not start with {accepted}; expected {example}")
        if variable == "SMTP_URL" and not urlsplit(url).hostname:
            raise SettingsError(f"SMTP_URL names no host; expected {example}")
    if settings.public_base_url is not None:
        _check_public_base_url(settings.public_base_url, production=settings.is_production)
    if settings.account_links_base_url is not None:
        _check_public_base_url(
            settings.account_links_base_url, production=settings.is_production, variable="ACCOUNT_LINKS_BASE_URL"
        )
    _, address = parseaddr(settings.mail_from)
    if "@" not in address or address.startswith("@") or address.endswith("@"):
        raise SettingsError(
            f"MAIL_FROM={_shown(settings.mail_from)} holds no address; expected Avatar API <no-reply@example.com>"
        )


def _check_public_base_url(url: str, *, production: bool, variable: str = "PUBLIC_BASE_URL") -> None:
    """An origin: scheme and host (and port), nothing else; https in production (clients
    send passwords to the token endpoint it names, and account links carry tokens)."""
    shown = _shown(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise SettingsError(f"{variable}={shown} cannot be parsed; expected https://api.example.com") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{variable}={shown} is not an http(s) URL; expected https://api.example.com")
    if (
        parts.username is not None
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or "?" in url
        or "#" in url
    ):
        raise SettingsError(
            f"{variable}={shown} must be an origin only (scheme, host, port): the service answers at its root"
        )
    if production and parts.scheme != "https":
        raise SettingsError(f"{variable} must use https:// when APP_ENV=production")


def _check_production(settings: Settings) -> None:
    """What APP_ENV=production refuses: missing secrets and development conveniences."""
    if not settings.database_url:
        raise SettingsError("DATABASE_URL is required when APP_ENV=production")
    if not settings.jwt_private_key:
        raise SettingsError("JWT_PRIVATE_KEY is required when APP_ENV=production")
    if not settings.data_encryption_key:
        raise SettingsError("DATA_ENCRYPTION_KEY is required when APP_ENV=production")
    if settings.mfa_challenge_ttl_seconds > 900:
        raise SettingsError("MFA_CHALLENGE_TTL_SECONDS above 900 is refused when APP_ENV=production")
    if settings.totp_valid_window > 2:
        raise SettingsError("TOTP_VALID_WINDOW above 2 is refused when APP_ENV=production (a minute of drift each way)")
    if settings.debug:
        raise SettingsError("DEBUG=true is refused when APP_ENV=production")
    if settings.log_format == "console":
        raise SettingsError("LOG_FORMAT=console is refused when APP_ENV=production (use json)")
    if any(ip_network(network, strict=False).prefixlen == 0 for network in settings.trusted_proxies):
        raise SettingsError("TRUSTED_PROXIES must not trust every address when APP_ENV=production")
    if any(parse_network_allowance(entry).network.prefixlen == 0 for entry in settings.outbound_allowed_networks):
        raise SettingsError("OUTBOUND_ALLOWED_NETWORKS must not allow every address when APP_ENV=production")
    _check_production_mail(settings)
    if settings.email_verification_ttl_seconds > _LINK_TTL_MAX_SECONDS:
        raise SettingsError("EMAIL_VERIFICATION_TTL_SECONDS above 172800 (two days) is refused when APP_ENV=production")
    if settings.email_change_ttl_seconds > _LINK_TTL_MAX_SECONDS:
        raise SettingsError("EMAIL_CHANGE_TTL_SECONDS above 172800 (two days) is refused when APP_ENV=production")
    if settings.password_reset_ttl_seconds > _RESET_TTL_MAX_SECONDS:
        raise SettingsError("PASSWORD_RESET_TTL_SECONDS above 3600 (an hour) is refused when APP_ENV=production")


# The longest an address link may work in production: a mailbox read later is a mailbox
# that may have changed hands.
_LINK_TTL_MAX_SECONDS: Final = 2 * 86_400
# A reset link is a password: short-lived (OWASP's Forgot Password Cheat Sheet).
_RESET_TTL_MAX_SECONDS: Final = 3600


def _check_production_mail(settings: Settings) -> None:
    """Production sends real mail: to a relay it can trust, from a real address, with
    links to an https origin it was told (never one taken from a request)."""
    if not settings.smtp_url:
        raise SettingsError("SMTP_URL is required when APP_ENV=production (the service sends account e-mail)")
    if urlsplit(settings.smtp_url).scheme == "smtp" and not settings.smtp_allow_plaintext:
        raise SettingsError(
            "SMTP_URL uses plain smtp:// when APP_ENV=production: use smtp+starttls:// or smtps://, "
            "or set SMTP_ALLOW_PLAINTEXT=true for a relay on a private network"
        )
    if not settings.smtp_validate_certs:
        raise SettingsError("SMTP_VALIDATE_CERTS=false is refused when APP_ENV=production (use SMTP_CA_FILE)")
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2].lower()
    if domain in {"localhost", "localhost.localdomain"} or "." not in domain:
        raise SettingsError("MAIL_FROM must be an address of your own domain when APP_ENV=production")
    if not (settings.account_links_base_url or settings.public_base_url):
        raise SettingsError(
            "ACCOUNT_LINKS_BASE_URL or PUBLIC_BASE_URL is required when APP_ENV=production (links in account e-mail)"
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build `Settings` from the environment; raise `SettingsError` naming the bad variable."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(Settings):
        name = _env_name(field.name)
        raw = env.get(name)
        if raw is None:
            continue
        try:
            values[field.name] = _convert(field, raw.strip())
        except msgspec.ValidationError as exc:
            reason = str(exc).split(" - at ", 1)[0]
            if field.name in _SECRET_SETTINGS:  # never echoed: it may hold a password or a key
                raise SettingsError(f"{name} is invalid: {reason}") from None
            raise SettingsError(f"{name}={_shown(raw.strip())} is invalid: {reason}") from None
    settings = Settings(**values)
    _check_rules(settings)
    return settings
