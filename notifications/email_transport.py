"""Send rendered e-mails over SMTP (through yagmail) or write them as .eml files; classify failures.

This is the only module that imports yagmail. yagmail opens the connection with explicit
credentials from Settings (never keyring, never a password prompt). The message itself is a
standard-library MIME message built here, sent over that one connection with smtplib's
sendmail, because yagmail's own `send()`:
- logs in again (a new connection) on every call,
- rewrites "\\n" to "<br>" in string contents and copies that into the text/plain part,
- swallows disconnects, sleeps 3 + 6 s and returns False instead of raising.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

import yagmail

from config.settings import Settings
from models.reminders import FAILED, RETRY, SENT, TRANSPORT_FILE, TRANSPORT_SMTP, Outcome
from notifications.messages import EmailMessage


class TransportDown(Exception):
    """The SMTP server cannot be reached: this and every later mail of the batch must wait."""


# Bodies as quoted-printable UTF-8: readable in any client and 7-bit safe on any relay.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
# CRLF line ends on the wire (RFC 5322); smtplib does not convert them for bytes.
WIRE = compat32.clone(linesep="\r\n")


def _address(addr: str, name: str | None = None) -> str:
    if "@" not in addr or any(c in addr for c in " <>,;\r\n"):
        raise ValueError(f"{addr!r} is not an e-mail address")
    return formataddr((name or "", addr), charset="utf-8")


def to_mime(message: EmailMessage, sender: str) -> Message:
    """Build the multipart/alternative MIME message: UTF-8 text and HTML, quoted-printable.

    The compat32 classes are used on purpose: the newer EmailMessage folding drops the space
    between an ASCII word and a following encoded word ("ISO quá" arrives as "ISOquá").
    """
    mime = MIMEMultipart("alternative")
    mime["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
    mime["From"] = _address(sender, "isocycle")
    mime["To"] = _address(message.to, message.to_name)
    if message.cc:
        mime["Cc"] = ", ".join(_address(c) for c in message.cc)
    mime["Date"] = formatdate(localtime=False)
    mime["Message-ID"] = message.message_id or make_msgid(domain="isocycle")
    mime["Auto-Submitted"] = "auto-generated"
    mime.attach(MIMEText(message.text, "plain", UTF8_QP))  # type: ignore[arg-type]
    mime.attach(MIMEText(message.html, "html", UTF8_QP))  # type: ignore[arg-type]
    return mime


def _reasons(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(
        f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
        for addr, (code, msg) in sorted(refused.items())
    )


def judge_refusals(
    to: str, refused: Mapping[str, tuple[int, bytes | str]], *, delivered: bool
) -> Outcome:
    """Decide a delivery by its main recipient's RCPT reply when some recipients were refused.

    `delivered` says whether the server took the message for the others.

    - To refused with 5xx: failed, with the server's reason (even if a Cc took the mail).
    - To refused otherwise (4xx): retry; a Cc that accepted may get a second copy on retry.
    - Only Cc refused: sent, with the refusal kept as the error so it is visible.
    """
    reason = _reasons(refused)
    if to not in refused:
        if not delivered:  # cannot happen with smtplib; never call an unsent mail sent
            return Outcome(RETRY, f"not sent: {reason}")
        return Outcome(SENT, f"Cc refused, sent to the main recipient: {reason}")
    status = FAILED if refused[to][0] >= 500 else RETRY
    return Outcome(status, f"recipient refused: {reason}{' (the Cc got it)' if delivered else ''}")


def classify(exc: BaseException) -> Outcome:
    """Map an SMTP error to retry (temporary) or failed (permanent), keeping the reason.

    - Connection refused, timeouts, disconnects and 4xx replies are temporary.
    - A 5xx reply (recipient or message refused) is permanent.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {code for code, _ in exc.recipients.values()}
        status = FAILED if codes and all(c >= 500 for c in codes) else RETRY
        return Outcome(status, f"recipient refused: {_reasons(exc.recipients)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        status = FAILED if exc.smtp_code >= 500 else RETRY
        return Outcome(status, f"{exc.smtp_code} {text}".strip())
    return Outcome(RETRY, f"{type(exc).__name__}: {exc}")


class SmtpConnection:
    """One open SMTP connection that sends messages one by one."""

    transport = TRANSPORT_SMTP

    def __init__(self, client: yagmail.SMTP, sender: str) -> None:
        self.client = client
        self.sender = sender

    def send(self, message: EmailMessage) -> Outcome:
        """Send one message; raise TransportDown if the connection is lost."""
        try:
            mime = to_mime(message, self.sender)
        except (ValueError, TypeError) as exc:
            return Outcome(FAILED, f"cannot build the message: {exc}")
        recipients = [message.to, *message.cc]
        try:
            refused = self.client.smtp.sendmail(self.sender, recipients, mime.as_bytes(policy=WIRE))
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportDown(f"SMTP server disconnected: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            if any(code == 421 for code, _ in exc.recipients.values()):
                # smtplib closed the connection at this RCPT: nothing was sent, the batch waits.
                raise TransportDown(classify(exc).error or "421") from exc
            # Nobody accepted it: still the main recipient's reply decides (a Cc's 4xx must not
            # keep a To that does not exist in retry).
            self._reset()
            return judge_refusals(message.to, exc.recipients, delivered=False)
        except smtplib.SMTPResponseException as exc:
            outcome = classify(exc)
            # 421 means the server is closing the connection: the rest of the batch must wait.
            if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
                raise TransportDown(outcome.error or "421") from exc
            self._reset()
            return outcome
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportDown(f"{type(exc).__name__}: {exc}") from exc
        if refused is False:  # yagmail's way of saying "not sent"; smtplib never returns it
            return Outcome(RETRY, "not sent (no reason given)")
        if refused:
            # The mail went to some recipients. The reminder is for the main recipient (the
            # secretary), so their reply decides; the Cc (the head) only gets a copy.
            return judge_refusals(message.to, refused, delivered=True)
        return Outcome(SENT)

    def _reset(self) -> None:
        # After a refused transaction the session must be reset before the next MAIL FROM.
        try:
            self.client.smtp.rset()
        except (OSError, smtplib.SMTPException):
            pass


class SmtpMailer:
    """Delivers through an SMTP server, one connection per batch."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_user and settings.smtp_password is None:
            # yagmail would fall back to keyring and then an interactive prompt: refuse instead.
            raise ValueError("ISOCYCLE_SMTP_PASSWORD must be set when ISOCYCLE_SMTP_USER is")
        self.settings = settings

    def _client(self) -> yagmail.SMTP:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        return yagmail.SMTP(
            user=s.smtp_user or s.mail_from,
            password=password or "",
            host=s.smtp_host,
            port=s.smtp_port,
            smtp_ssl=s.smtp_security == "ssl",
            smtp_starttls=s.smtp_security == "starttls",
            smtp_skip_login=not s.smtp_user,
            soft_email_validation=False,
            timeout=s.smtp_timeout,
        )

    @contextmanager
    def connect(self) -> Iterator[SmtpConnection]:
        """Open one SMTP connection; raise TransportDown if the server cannot be reached."""
        client = self._client()
        try:
            client.login()
        except (OSError, smtplib.SMTPException) as exc:
            outcome = classify(exc)
            raise TransportDown(outcome.error or str(exc)) from exc
        try:
            yield SmtpConnection(client, self.settings.mail_from)
        finally:
            try:
                client.close()
            except (OSError, smtplib.SMTPException):
                pass


class EmlConnection:
    """Writes each message as <outbox>/<message id>.eml (the offline demo): nobody receives it."""

    transport = TRANSPORT_FILE

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, message: EmailMessage) -> Outcome:
        try:
            mime = to_mime(message, self.sender)
        except (ValueError, TypeError) as exc:
            return Outcome(FAILED, f"cannot build the message: {exc}")
        name = (message.message_id or mime["Message-ID"]).strip("<>").split("@")[0]
        path = self.folder / f"{name}.eml"
        tmp = path.with_suffix(".tmp")
        # Write then rename, so a killed process never leaves half a file behind.
        tmp.write_bytes(mime.as_bytes())
        tmp.replace(path)
        return Outcome(SENT)


class EmlMailer:
    """Writes mail to Settings.mail_outbox_dir instead of sending it."""

    def __init__(self, settings: Settings) -> None:
        self.folder = Path(settings.mail_outbox_dir)
        self.sender = settings.mail_from

    @contextmanager
    def connect(self) -> Iterator[EmlConnection]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportDown(f"cannot create {self.folder}: {exc}") from exc
        yield EmlConnection(self.folder, self.sender)


Mailer = SmtpMailer | EmlMailer


def make_mailer(settings: Settings) -> Mailer:
    """SMTP when ISOCYCLE_SMTP_HOST is set, else .eml files in the outbox folder."""
    return SmtpMailer(settings) if settings.emails_enabled else EmlMailer(settings)
