"""Outgoing mail behind one small interface: console (default) or SMTP."""

from fastmvc.mail.backends import ConsoleMailer, Mailer, MailMessage, SMTPMailer, build_mailer

__all__ = ["ConsoleMailer", "MailMessage", "Mailer", "SMTPMailer", "build_mailer"]
