"""A real SMTP server on loopback (aiosmtpd) that records what it receives.

- `MailServer`: plain, STARTTLS (required) or implicit TLS with a self-signed certificate
  made here, optionally with a login; answers DATA as scripted (`answer_next("451 ...")`)
  or after a delay (`hold`), then accepts; records every accepted message.
- `ReceivedMail`: one message as the server got it, parsed (`text`, `html`, `link_token`).
- `mail_settings`: test settings whose SMTP_URL points at a server.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ipaddress
import re
import ssl
import time
import warnings
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self, cast

import asyncpg
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from src.core.settings import Settings

__all__ = (
    "MailServer",
    "ReceivedMail",
    "Security",
    "eml_token",
    "link_token",
    "mail_settings",
    "outbox",
    "self_signed_certificate",
    "wait_for_outbox",
)

LOOPBACK = "127.0.0.1"
_TOKEN = re.compile(r"#token=([A-Za-z0-9_-]+)")

type Security = Literal["plain", "starttls", "tls"]


class ReceivedMail:
    def __init__(self, envelope_from: str, recipients: list[str], data: bytes) -> None:
        self.envelope_from = envelope_from
        self.recipients = recipients
        self.data = data
        self.message: EmailMessage = email.message_from_bytes(data, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def _part(self, subtype: str) -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"no text/{subtype} part"
        return str(cast("EmailMessage", part).get_content())

    @property
    def text(self) -> str:
        return self._part("plain")

    @property
    def html(self) -> str:
        return self._part("html")

    def link_token(self) -> str:
        return link_token(self.text)


def link_token(text: str) -> str:
    """The token of the one account link in a message's text."""
    found = _TOKEN.findall(text)
    assert len(found) == 1, f"expected one link with a token, found {len(found)}"
    return str(found[0])


def eml_token(path: Path) -> str:
    """The account link's token in an .eml file the mail sink wrote (its text part)."""
    return ReceivedMail("", [], path.read_bytes()).link_token()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files for 127.0.0.1 and localhost; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "avatar-api test SMTP")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certificate_path, key_path


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's name
        return await self.server.answer(envelope)


class MailServer:
    """Start with `async with MailServer() as server`; `server.url` is its SMTP_URL."""

    def __init__(
        self,
        *,
        security: Security = "plain",
        certificate: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
        smtputf8: bool = True,
    ) -> None:
        self.security = security
        self.login = login
        self.smtputf8 = smtputf8
        self.received: list[ReceivedMail] = []
        self.attempts = 0
        self.hold_seconds = 0.0
        self._answers: deque[str] = deque()
        self._server: asyncio.Server | None = None
        self._tls: ssl.SSLContext | None = None
        if security != "plain":
            assert certificate is not None, "TLS needs a certificate (self_signed_certificate)"
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(str(certificate[0]), str(certificate[1]))
        self.port = 0

    @property
    def url(self) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        credentials = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"{scheme}://{credentials}{LOOPBACK}:{self.port}"

    def answer_next(self, *answers: str) -> None:
        """The next DATA commands are answered so, in order (`"451 4.3.0 Try again later"`)."""
        self._answers.extend(answers)

    def hold(self, seconds: float) -> None:
        """Every DATA waits this long before it is answered (a slow relay)."""
        self.hold_seconds = seconds

    async def answer(self, envelope: Envelope) -> str:
        self.attempts += 1
        if self.hold_seconds:
            await asyncio.sleep(self.hold_seconds)
        if self._answers:
            return self._answers.popleft()
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        self.received.append(ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), data))
        return "250 Message accepted for delivery"

    def _authenticate(self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any) -> Any:
        assert self.login is not None
        expected = LoginPassword(self.login[0].encode(), self.login[1].encode())
        # handled=False: aiosmtpd answers a failure itself (535).
        return AuthResult(success=isinstance(data, LoginPassword) and tuple(data) == tuple(expected), handled=False)

    def _protocol(self) -> SMTP:
        loop = asyncio.get_running_loop()
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options |= {"tls_context": self._tls, "require_starttls": True}
        if self.login is not None:
            # aiosmtpd sees TLS only after STARTTLS; with implicit TLS the whole connection
            # is encrypted, so AUTH is allowed without its check (and its warning).
            options |= {"authenticator": self._authenticate, "auth_required": True}
            options |= {"auth_require_tls": self.security == "starttls"}
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return SMTP(_Handler(self), hostname="test-smtp", loop=loop, enable_SMTPUTF8=self.smtputf8, **options)

    async def __aenter__(self) -> Self:
        loop = asyncio.get_running_loop()
        ssl_context = self._tls if self.security == "tls" else None
        self._server = await loop.create_server(self._protocol, LOOPBACK, 0, ssl=ssl_context)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        self._server.close_clients()
        await self._server.wait_closed()

    async def wait_until(self, condition: Callable[[MailServer], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {len(self.received)}, attempts {self.attempts}")
            await asyncio.sleep(0.02)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Until `count` messages have been accepted; returns them all."""
        await self.wait_until(lambda server: len(server.received) >= count, timeout)
        return self.received

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.received if address in mail.recipients]


def mail_settings(settings: Settings, server: MailServer, **changes: Any) -> Settings:
    """Settings that send to `server`, quickly retried (0 s delays: tests wait for no clock)."""
    values: dict[str, Any] = {
        "smtp_url": server.url,
        "smtp_timeout": 5.0,
        "mail_poll_seconds": 0.5,
        "mail_retry_schedule": "0s,0s,0s",
        "public_base_url": "https://app.example.test",
    }
    values.update(changes)
    return settings.with_changes(**values)


async def outbox(database_url: str) -> list[asyncpg.Record]:
    """Every row of mail_outbox, oldest first."""
    connection = await asyncpg.connect(database_url)
    try:
        return list(
            await connection.fetch(
                "SELECT id, kind, user_id, status, attempts, recipient, message, last_error, finished_at "
                "FROM mail_outbox ORDER BY created_at, id"
            )
        )
    finally:
        await connection.close()


async def wait_for_outbox(
    database_url: str, condition: Callable[[list[asyncpg.Record]], bool], timeout: float = 10.0
) -> list[asyncpg.Record]:
    """Polls mail_outbox until `condition` holds for its rows; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await outbox(database_url)
        if condition(rows):
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting on mail_outbox: {[dict(row) for row in rows]}")
        await asyncio.sleep(0.05)
