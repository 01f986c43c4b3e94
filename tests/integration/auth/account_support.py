"""A mailer that keeps what it sends, and the token a mail carries."""

from __future__ import annotations

import re

from fastmvc.mail import MailMessage

_TOKEN = re.compile(r"[\w-]+\.[\w-]+\.[\w-]+")


class Outbox:
    """Every message sent, in order."""

    def __init__(self) -> None:
        self.sent: list[MailMessage] = []

    async def send(self, message: MailMessage) -> None:
        self.sent.append(message)

    def token_for(self, email: str) -> str:
        """The JWT in the last mail to ``email``."""
        mails = [mail for mail in self.sent if mail.to == email]
        assert mails, f"no mail to {email}: {self.sent}"
        found = _TOKEN.search(mails[-1].body)
        assert found is not None, mails[-1].body
        return found.group(0)
