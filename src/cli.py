"""`api`: the service's command line.

api serve      start Granian serving the app (embedded PostgreSQL when DATABASE_URL is unset,
               and a mail sink writing .eml files under DATA_DIR/mail when SMTP_URL is unset)
api mail-sink  an SMTP server that writes every message it receives as an .eml file
api migrate    apply pending migrations (`--check` only reports them)
api openapi    write the OpenAPI document (`--output openapi.json`)
api keys generate   write a new ES256 signing key (`--output secrets/jwt-signing-key.pem`)
api keys generate-data-key   write a new AES-256 data encryption key (`--output secrets/data-encryption-key`)
api keys reseal-data         after a data key rotation: seal what older keys sealed with DATA_ENCRYPTION_KEY
api users grant EMAIL --role admin    give an account a role (the first admin is made so)
api users revoke EMAIL --role admin   take it back (the account is a `user` again)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import asyncpg
import msgspec

from src.core.data.database import Connection
from src.core.data.embedded_postgres import EmbeddedPostgresUnavailable, start_embedded_postgres
from src.core.data.migrations import MigrationError, apply_migrations, discover_migrations, pending_migrations
from src.core.errors import DomainError
from src.core.observability.logging import configure_logging, get_logger
from src.core.observability.request_context import tracing_requested
from src.core.runtime.server import serve
from src.core.security.keys import SigningKeys, generate_private_key_pem
from src.core.security.roles import ROLES, Role
from src.core.security.sealing import generate_data_key
from src.core.settings import Settings, SettingsError, load_settings

__all__ = ("main",)

log = get_logger(component="cli")


def _database_url(settings: Settings) -> str:
    """The configured database, or the embedded one in development."""
    if settings.database_url:
        return settings.database_url
    dsn = start_embedded_postgres(settings.data_dir)
    log.info("embedded_postgres_started", data_dir=str(settings.data_dir / "postgres"))
    return dsn


# Named here rather than imported from src.core.observability.metrics: prometheus_client picks its mode
# when first imported, so this process must not import it before the variable is set
# (Granian forks the workers from it).
MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _prepare_metrics_directory(settings: Settings) -> None:
    """Prometheus multiprocess mode: every worker writes its samples to one directory, and a
    scrape answered by any worker aggregates them. It must be empty when workers start.
    One worker does not need it (and in-process samples are cheaper than file-backed ones)."""
    configured = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    directory = Path(configured) if configured else settings.data_dir / "prometheus"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_DIR_VARIABLE] = str(directory)


def _serve(settings: Settings, _: argparse.Namespace) -> int:
    # What the workers would find out one by one, each with a traceback: checked once, here.
    SigningKeys.from_settings(settings)  # the key parses (in development: it is made now)
    # Workers are separate processes that read their settings from the environment.
    os.environ["DATABASE_URL"] = _database_url(settings)
    if not settings.smtp_url and not settings.is_production:  # production refuses a missing SMTP_URL
        from src.core.runtime.mail_sink import start_mail_sink  # noqa: PLC0415 - only without SMTP_URL

        sink = start_mail_sink(settings.data_dir / "mail")
        os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{sink.port}"
    if settings.workers > 1:
        _prepare_metrics_directory(settings)
    return serve(settings)


async def _migrate(settings: Settings, dsn: str, *, check_only: bool) -> int:
    migrations = discover_migrations(settings.migrations_dir)
    connection = await asyncpg.connect(dsn, timeout=settings.db_connect_timeout)
    try:
        if check_only:
            pending = await pending_migrations(connection, migrations)
            for migration in pending:
                sys.stdout.write(f"pending: {migration.file_name}\n")
            if not pending:
                sys.stdout.write(f"up to date: {len(migrations)} migrations applied\n")
            return 1 if pending else 0
        applied = await apply_migrations(connection, migrations, lock_timeout=settings.migration_lock_timeout)
        log.info("migrations_done", applied=[migration.file_name for migration in applied], total=len(migrations))
        return 0
    finally:
        await connection.close()


def _run_migrate(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(settings, _database_url(settings), check_only=args.check))


def openapi_document(settings: Settings) -> bytes:
    """The OpenAPI document as stable, sorted, indented JSON (the committed snapshot's format)."""
    from src.app import create_app  # noqa: PLC0415 - keeps `api migrate` free of the web stack
    from src.core.http.api_contract import finish_document  # noqa: PLC0415 - the same

    app = create_app(settings)
    schema = finish_document(app, app.openapi_schema.to_schema())
    return msgspec.json.format(msgspec.json.encode(schema, order="sorted"), indent=2) + b"\n"


def _openapi(settings: Settings, args: argparse.Namespace) -> int:
    document = openapi_document(settings)
    if args.output == "-":
        sys.stdout.buffer.write(document)
        return 0
    path = Path(args.output)
    unchanged = path.exists() and path.read_bytes() == document
    path.write_bytes(document)
    operations = sum(
        1 for item in msgspec.json.decode(document)["paths"].values() for method in item if method != "parameters"
    )
    state = "unchanged" if unchanged else "updated"
    sys.stdout.write(f"wrote {path} ({operations} operations, {len(document):,} bytes; {state})\n")
    return 0


def _generate_key(_: Settings, args: argparse.Namespace) -> int:
    """A new signing key for JWT_PRIVATE_KEY, in a directory only its owner may enter:
    the directory is 0700; the key itself 0644, so that a container's non-root user can
    read it where compose mounts it as a secret (the directory keeps others out on the host)."""
    path = Path(args.output)
    if path.exists() and not args.force:
        sys.stderr.write(f"{path} exists; pass --force to replace it (tokens it signed stop verifying)\n")
        return 1
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    path.write_bytes(generate_private_key_pem())
    path.chmod(0o644)
    sys.stdout.write(f"wrote {path}: set JWT_PRIVATE_KEY=@{path.resolve()} (compose mounts it as a secret)\n")
    return 0


def _generate_data_key(_: Settings, args: argparse.Namespace) -> int:
    """A new key for DATA_ENCRYPTION_KEY, as `_generate_key` writes the signing key."""
    path = Path(args.output)
    if path.exists() and not args.force:
        sys.stderr.write(
            f"{path} exists; pass --force to replace it (keep the old key in DATA_ENCRYPTION_PREVIOUS_KEYS: "
            "what it sealed opens only with it)\n"
        )
        return 1
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    path.write_text(generate_data_key() + "\n")
    path.chmod(0o644)
    sys.stdout.write(f"wrote {path}: set DATA_ENCRYPTION_KEY=@{path.resolve()} (compose mounts it as a secret)\n")
    return 0


async def _reseal(settings: Settings) -> int:
    from src.core.runtime.second_factor import reseal_secrets  # noqa: PLC0415 - keeps `api serve` light
    from src.core.security.sealing import Sealer  # noqa: PLC0415 - the same

    sealer = Sealer.from_settings(settings)
    connection = await asyncpg.connect(_database_url(settings), timeout=settings.db_connect_timeout)
    try:
        resealed, unreadable = await reseal_secrets(connection, sealer)
    except asyncpg.UndefinedTableError:
        sys.stderr.write("the database is not migrated: run `api migrate` (or start the service once)\n")
        return 1
    finally:
        await connection.close()
    sys.stdout.write(f"sealed {resealed} TOTP secret(s) again with DATA_ENCRYPTION_KEY\n")
    if unreadable:
        sys.stderr.write(
            f"{unreadable} TOTP secret(s) were sealed with a key that is not configured: "
            "add it to DATA_ENCRYPTION_PREVIOUS_KEYS and run this again\n"
        )
        return 1
    return 0


def _run_reseal(settings: Settings, _: argparse.Namespace) -> int:
    return asyncio.run(_reseal(settings))


async def _change_role(connection: Connection, args: argparse.Namespace) -> int:
    # The admin feature's own rules (the last admin, the audit log); imported here only.
    from src.features.admin.change_role.command import ChangeRole  # noqa: PLC0415 - keeps `api serve` light
    from src.features.admin.change_role.handler import account_id_of, change_role  # noqa: PLC0415 - the same

    account_id = await account_id_of(connection, args.email)
    if account_id is None:
        sys.stderr.write(f"no account has the address {args.email}\n")
        return 1
    granting = args.users_command == "grant"
    role: Role = args.role if granting else "user"
    reason = args.reason or f"api users {args.users_command} --role {args.role}"
    command = ChangeRole(
        account_id=account_id,
        role=role,
        reason=reason,
        actor_id=None,
        only_from=None if granting else args.role,
    )
    async with connection.transaction():
        change = await change_role(command, transaction=connection)
    if not granting and change.previous != args.role:
        sys.stdout.write(f"{args.email} is {change.previous}, not {args.role}: nothing changed\n")
        return 0
    if change.previous == change.account.role:
        sys.stdout.write(f"{args.email} is already {change.account.role}: nothing changed\n")
    else:
        sys.stdout.write(f"{args.email}: {change.previous} -> {change.account.role} (in the audit log)\n")
    return 0


async def _users(settings: Settings, args: argparse.Namespace) -> int:
    connection = await asyncpg.connect(_database_url(settings), timeout=settings.db_connect_timeout)
    try:
        return await _change_role(connection, args)
    except DomainError as exc:  # last_admin
        sys.stderr.write(f"refused ({exc.code}): {exc.detail}\n")
        return 1
    except asyncpg.UndefinedColumnError:
        sys.stderr.write("the database is not migrated: run `api migrate` (or start the service once)\n")
        return 1
    finally:
        await connection.close()


def _run_users(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_users(settings, args))


def _mail_sink(settings: Settings, args: argparse.Namespace) -> int:
    from src.core.runtime.mail_sink import run_mail_sink  # noqa: PLC0415 - the sink alone

    directory = Path(args.directory) if args.directory else settings.data_dir / "mail"
    run_mail_sink(directory, args.host, args.port)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="api", description="Avatar API service")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the API with Granian").set_defaults(run=_serve)
    sink = commands.add_parser("mail-sink", help="receive mail over SMTP and write each message as an .eml file")
    sink.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 in a container)")
    sink.add_argument("--port", type=int, default=1025, help="port to listen on")
    sink.add_argument("--directory", help="where to write the .eml files (default: DATA_DIR/mail)")
    sink.set_defaults(run=_mail_sink)
    migrate = commands.add_parser("migrate", help="apply pending migrations")
    migrate.add_argument("--check", action="store_true", help="only list pending migrations; exit 1 if any")
    migrate.set_defaults(run=_run_migrate)
    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi.json", help="file to write, or - for stdout")
    openapi.set_defaults(run=_openapi)
    keys = commands.add_parser("keys", help="signing keys").add_subparsers(dest="keys_command", required=True)
    generate = keys.add_parser("generate", help="write a new ES256 (P-256) signing key as PEM")
    generate.add_argument("--output", default="secrets/jwt-signing-key.pem", help="file to write")
    generate.add_argument("--force", action="store_true", help="replace an existing key")
    generate.set_defaults(run=_generate_key)
    data_key = keys.add_parser("generate-data-key", help="write a new AES-256 data encryption key (base64url)")
    data_key.add_argument("--output", default="secrets/data-encryption-key", help="file to write")
    data_key.add_argument("--force", action="store_true", help="replace an existing key")
    data_key.set_defaults(run=_generate_data_key)
    keys.add_parser(
        "reseal-data", help="after a data key rotation: seal again with DATA_ENCRYPTION_KEY what older keys sealed"
    ).set_defaults(run=_run_reseal)
    users = commands.add_parser("users", help="accounts' roles").add_subparsers(dest="users_command", required=True)
    for name, what in (("grant", "give an account a role"), ("revoke", "take a role back: the account is a user")):
        command = users.add_parser(name, help=what)
        command.add_argument("email", help="the account's e-mail address")
        command.add_argument("--role", required=True, choices=[role for role in ROLES if role != "user"])
        command.add_argument("--reason", help="for the audit log (default: the command itself)")
        command.set_defaults(run=_run_users)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        tracing_requested(os.environ)  # its settings are checked here, though workers start it
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    configure_logging(settings)
    try:
        code: int = args.run(settings, args)
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    except (MigrationError, EmbeddedPostgresUnavailable) as exc:
        log.error("command_failed", command=args.command, error=str(exc))
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
