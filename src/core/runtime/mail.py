"""Outbound e-mail: rendered when the change that causes it happens, queued in the same
transaction (the `mail_outbox` table), and sent later over SMTP by the deliver-mail job.

- `MailTemplate` fills a feature's `<name>.txt` and `<name>.html` templates
  (`string.Template`: `$link`, `${display_name}`); values are HTML-escaped in the HTML part.
- `Mailer.link` builds account links from the configured origin (ACCOUNT_LINKS_BASE_URL,
  else PUBLIC_BASE_URL), never from a request's Host header; the token rides in the
  fragment, which browsers send to no server (no access log, no Referer).
- `Mailer.queue` writes the message, rendered as RFC 5322 bytes, on the caller's
  connection (its transaction): a change rolled back sends nothing. `Mailer.prepare`
  renders without writing, for a slice that inserts with its own statement.
- `Mailer.send` is one SMTP conversation (aiosmtplib): STARTTLS or TLS as SMTP_URL says,
  certificates validated, every step bounded by SMTP_TIMEOUT. It raises `SendFailure`,
  permanent for a 5xx answer (except 535, a credentials problem on our side that an
  operator can fix), temporary for the rest (4xx, timeouts, lost connections).

The outbox holds a message (and its link) in clear only until it is sent or given up:
then its body and recipient are wiped. See docs/operations.md.
"""

from __future__ import annotations

import contextlib
import email.policy
import html
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from string import Template
from typing import Final
from urllib.parse import unquote, urlsplit
from uuid import UUID

import aiosmtplib
import msgspec

from src.core.clock import utc_now
from src.core.data.database import Connection
from src.core.ids import new_id
from src.core.observability.request_context import current_request_id, current_trace, traceparent
from src.core.settings import Settings, SettingsError

__all__ = (
    "MAIL_CHANNEL",
    "MailTemplate",
    "Mailer",
    "OutgoingMail",
    "PreparedMail",
    "SendFailure",
    "SmtpRelay",
    "lifetime",
)

# Every insert into mail_outbox sends a NOTIFY on this channel (migrations/0011_mail_outbox.sql).
MAIL_CHANNEL: Final = "mail_outbox"
_AUTH_FAILED: Final = 535
_ERROR_MAX: Final = 500
_QUIT_TIMEOUT: Final = 2.0

INSERT_MAIL: Final = """
INSERT INTO mail_outbox (id, kind, user_id, recipient, message, request_id, traceparent, tracestate)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""


class OutgoingMail(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    """What the message is for (`verify_email`, `password_reset`): logs and metrics name it."""
    to: str
    subject: str
    text: str
    html: str
    user_id: UUID | None = None


class PreparedMail(msgspec.Struct, frozen=True, kw_only=True):
    """A message ready for the outbox: the columns of one `mail_outbox` row."""

    id: UUID
    kind: str
    user_id: UUID | None
    recipient: str
    message: bytes
    request_id: str | None
    traceparent: str | None
    tracestate: str | None

    def row(self) -> tuple[object, ...]:
        """The values of INSERT_MAIL, in its order."""
        return (
            self.id,
            self.kind,
            self.user_id,
            self.recipient,
            self.message,
            self.request_id,
            self.traceparent,
            self.tracestate,
        )


class SendFailure(Exception):
    """One SMTP attempt failed; `permanent` says retrying cannot help."""

    def __init__(self, error: str, *, permanent: bool) -> None:
        super().__init__(error)
        self.error = error[:_ERROR_MAX]
        self.permanent = permanent


class SmtpRelay(msgspec.Struct, frozen=True, kw_only=True):
    """SMTP_URL, parsed: where to send and how."""

    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpRelay:
        parts = urlsplit(url)
        if parts.hostname is None:
            raise SettingsError("SMTP_URL names no host")
        use_tls = parts.scheme == "smtps"
        start_tls = parts.scheme == "smtp+starttls"
        default_port = 465 if use_tls else 587 if start_tls else 25
        return cls(
            hostname=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_tls=use_tls,
            start_tls=start_tls,
        )


def lifetime(seconds: int) -> str:
    """`86400` -> "24 hours", `1800` -> "30 minutes": how long a link lasts, in words."""
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(seconds // 60, 1)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class MailTemplate:
    """A message's `<name>.txt` and `<name>.html`, read once (at import: no file reads while
    a request waits). A missing value is an error (`Template.substitute`), so no message goes
    out with a `$placeholder` in it."""

    __slots__ = ("_html", "_text", "subject")

    def __init__(self, directory: Path, name: str, *, subject: str) -> None:
        self.subject = subject
        self._text = Template((directory / f"{name}.txt").read_text(encoding="utf-8"))
        self._html = Template((directory / f"{name}.html").read_text(encoding="utf-8"))

    def render(self, **values: str) -> tuple[str, str]:
        """(text, html); values are HTML-escaped in the HTML part."""
        escaped = {key: html.escape(value) for key, value in values.items()}
        return self._text.substitute(values), self._html.substitute(escaped)

    def mail(self, *, kind: str, to: str, user_id: UUID | None = None, **values: str) -> OutgoingMail:
        text, body = self.render(**values)
        return OutgoingMail(kind=kind, to=to, subject=self.subject, text=text, html=body, user_id=user_id)


class Mailer:
    """Queues and sends the service's mail (one per worker, in `Resources` and `JobContext`).
    Built off the event loop (`asyncio.to_thread`): it reads SMTP_CA_FILE."""

    __slots__ = ("_domain", "_links_base", "_relay", "_sender", "_settings", "_tls_context")

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._sender = parseaddr(settings.mail_from)[1]
        self._domain = self._sender.rpartition("@")[2]
        self._links_base = settings.links_base_url
        self._relay = SmtpRelay.from_url(settings.smtp_url) if settings.smtp_url else None
        encrypted = self._relay is not None and (self._relay.use_tls or self._relay.start_tls)
        self._tls_context = _tls_context(settings) if encrypted else None

    @property
    def can_send(self) -> bool:
        return self._relay is not None

    def link(self, path: str, token: str) -> str:
        """`<links base><path>#token=<token>`; the token is URL-safe base64 already."""
        if self._links_base is None:
            raise SettingsError("ACCOUNT_LINKS_BASE_URL or PUBLIC_BASE_URL is needed to link to account pages")
        return f"{self._links_base}{path}#token={token}"

    def prepare(self, mail: OutgoingMail) -> PreparedMail:
        message_id = new_id()
        trace = current_trace()
        return PreparedMail(
            id=message_id,
            kind=mail.kind,
            user_id=mail.user_id,
            recipient=mail.to,
            message=self._render(mail, message_id),
            request_id=current_request_id(),
            traceparent=None if trace is None else traceparent(trace),
            tracestate=(trace.state or None) if trace is not None else None,
        )

    async def queue(self, connection: Connection, mail: OutgoingMail) -> UUID:
        """Writes the message to the outbox on `connection`: call it in the transaction of
        the change that causes the message."""
        prepared = self.prepare(mail)
        await connection.execute(INSERT_MAIL, *prepared.row())
        return prepared.id

    def _render(self, mail: OutgoingMail, message_id: UUID) -> bytes:
        message = EmailMessage()
        message["From"] = self._settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(utc_now())
        # Stable across retries: a resend after a lost acknowledgement can be recognised.
        message["Message-ID"] = f"<{message_id}@{self._domain}>"
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        # An internationalised address (RFC 6531) goes into the headers as UTF-8: no
        # encoded-word can carry an address's local part.
        utf8 = not (mail.to.isascii() and self._settings.mail_from.isascii())
        return message.as_bytes(policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP)

    async def send(self, recipient: str, message: bytes) -> None:
        relay = self._relay
        if relay is None:
            raise SendFailure("smtp_not_configured", permanent=False)
        client = aiosmtplib.SMTP(
            hostname=relay.hostname,
            port=relay.port,
            username=relay.username,
            password=relay.password,
            use_tls=relay.use_tls,
            # Never None (aiosmtplib's default), which upgrades only when the server offers to.
            start_tls=relay.start_tls,
            tls_context=self._tls_context,
            timeout=self._settings.smtp_timeout,
        )
        # The API accepts internationalised addresses; the relay must then offer SMTPUTF8
        # (RFC 6531), or the message can never be sent through it.
        utf8 = not (recipient.isascii() and self._sender.isascii())
        try:
            await client.connect()  # EHLO, STARTTLS, AUTH as SMTP_URL says
            if utf8:
                if client.is_ehlo_or_helo_needed:  # no EHLO yet (plain, no login): its answer lists SMTPUTF8
                    await client.ehlo()
                if not client.supports_extension("smtputf8"):
                    raise SendFailure("smtputf8_not_offered", permanent=True)
            try:
                await client.sendmail(self._sender, [recipient], message, mail_options=["SMTPUTF8"] if utf8 else [])
            except ValueError:  # an address SMTP cannot carry (RFC 5321 mailbox syntax): never sendable
                raise SendFailure("recipient_not_a_mailbox", permanent=True) from None
            # Politeness only: the message was accepted. A relay slow to say goodbye costs nothing.
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit(timeout=_QUIT_TIMEOUT)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise SendFailure(f"recipient_refused_{codes[0] if codes else 'unknown'}", permanent=permanent) from None
        except aiosmtplib.SMTPResponseException as exc:
            permanent = exc.code >= 500 and exc.code != _AUTH_FAILED
            raise SendFailure(f"smtp_{exc.code}", permanent=permanent) from None
        except aiosmtplib.SMTPTimeoutError:
            raise SendFailure("timeout", permanent=False) from None
        except (aiosmtplib.SMTPException, OSError) as exc:  # disconnected, refused, no STARTTLS, TLS failures
            raise SendFailure(f"connection_error:{type(exc).__name__}", permanent=False) from None
        finally:
            # Also when cancelled (a shutdown): the connection is dropped at once, with no
            # QUIT that would wait on the relay while the claim waits to be handed back.
            client.close()


def _tls_context(settings: Settings) -> ssl.SSLContext:
    """Validated TLS (SMTP_CA_FILE or the system's roots); unvalidated only outside
    production (settings refuse SMTP_VALIDATE_CERTS=false there)."""
    context = ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)
    if not settings.smtp_validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
