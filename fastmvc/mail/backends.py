"""The :class:`Mailer` protocol and its two backends.

``MAIL_BACKEND=console`` (the default) writes each message to the log, so a
development app needs no mail server; ``MAIL_BACKEND=smtp`` sends through
``SMTP_HOST``/``SMTP_PORT`` with aiosmtplib, never blocking the event loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from fastmvc.errors import ServiceUnavailableError
from fastmvc.settings import Settings

__all__ = ["ConsoleMailer", "MailMessage", "Mailer", "SMTPMailer", "build_mailer"]

logger = logging.getLogger("fastmvc.mail")


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One plain-text message."""

    to: str
    subject: str
    body: str


@runtime_checkable
class Mailer(Protocol):
    """Something that delivers a :class:`MailMessage`."""

    async def send(self, message: MailMessage) -> None:
        """Deliver ``message``; raise :class:`ServiceUnavailableError` when it cannot."""
        ...


class ConsoleMailer:
    """Logs every message (subject and body) at INFO on ``fastmvc.mail``."""

    def __init__(self, sender: str = "no-reply@localhost") -> None:
        self.sender = sender

    async def send(self, message: MailMessage) -> None:
        logger.info(
            "mail from %s to %s: %s\n%s", self.sender, message.to, message.subject, message.body
        )


class SMTPMailer:
    """Sends through an SMTP server with aiosmtplib.

    Args:
        host: Server host.
        port: Server port.
        sender: The ``From`` address.
        username: Login, when the server wants one.
        password: Password for ``username``.
        starttls: Upgrade the connection with STARTTLS (when the server offers it).
        timeout_seconds: Bound on connecting and on each SMTP command.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout_seconds

    async def send(self, message: MailMessage) -> None:
        import aiosmtplib

        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=self.host,
                port=self.port,
                username=self._username,
                password=self._password,
                # None: upgrade when the server offers it; True would insist.
                start_tls=None if self._starttls else False,
                timeout=self._timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ServiceUnavailableError("Mail server unavailable") from exc


def build_mailer(settings: Settings) -> Mailer:
    """The mailer ``MAIL_BACKEND`` names."""
    if settings.mail_backend == "smtp":
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SMTPMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.mail_from,
            username=settings.smtp_username,
            password=password,
            starttls=settings.smtp_starttls,
            timeout_seconds=settings.smtp_timeout_seconds,
        )
    return ConsoleMailer(settings.mail_from)
