"""The SMTP mailer against a real SMTP server (aiosmtpd) that the test starts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from fastmvc.errors import ServiceUnavailableError
from fastmvc.mail import ConsoleMailer, MailMessage, SMTPMailer, build_mailer
from fastmvc.settings import Settings
from tests.support.net import free_port


class Inbox:
    """An aiosmtpd handler that keeps every envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_smtp_mailer_delivers_to_a_real_server(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    settings = Settings(
        mail_backend="smtp", smtp_host="127.0.0.1", smtp_port=port, mail_from="app@example.com"
    )
    mailer = build_mailer(settings)
    assert isinstance(mailer, SMTPMailer)
    await mailer.send(
        MailMessage(to="ada@example.com", subject="Reset your password", body="token: abc.def.ghi")
    )
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "app@example.com"
    assert envelope.rcpt_tos == ["ada@example.com"]
    parsed = message_from_bytes(envelope.content)
    assert parsed["Subject"] == "Reset your password"
    assert parsed["To"] == "ada@example.com"
    assert "token: abc.def.ghi" in parsed.get_payload()


async def test_smtp_mailer_turns_an_unreachable_server_into_503() -> None:
    mailer = SMTPMailer("127.0.0.1", free_port(), sender="app@example.com", timeout_seconds=2)
    with pytest.raises(ServiceUnavailableError):
        await mailer.send(MailMessage(to="ada@example.com", subject="s", body="b"))


async def test_console_is_the_default_and_logs_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailer = build_mailer(Settings())
    assert isinstance(mailer, ConsoleMailer)
    with caplog.at_level(logging.INFO, logger="fastmvc.mail"):
        await mailer.send(MailMessage(to="ada@example.com", subject="Hello", body="the body"))
    (record,) = [r for r in caplog.records if r.name == "fastmvc.mail"]
    assert "ada@example.com" in record.getMessage() and "the body" in record.getMessage()
