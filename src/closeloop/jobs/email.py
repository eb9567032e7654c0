"""E-mail notifications over SMTP: one message per delivery (one recipient)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from closeloop.config import Settings
from closeloop.jobs.webhooks import DeliveryFailed


def compose(settings: Settings, *, to: str, event_id: int, email: dict[str, Any]) -> EmailMessage:
    """The message for one recipient of an event's ``email`` part."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = str(email.get("subject") or "Closeloop notification")
    # Lets a mail filter or a receiving system spot a repeat of the same event.
    message["X-Closeloop-Event-Id"] = str(event_id)
    message.set_content(str(email.get("body") or ""))
    return message


def send_email(settings: Settings, message: EmailMessage) -> None:
    """Send one message with the SMTP settings; raise ``DeliveryFailed`` if it was not accepted."""
    if settings.smtp_host is None:
        raise DeliveryFailed("e-mail is off: set CLOSELOOP_SMTP_HOST")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"SMTP: {type(error).__name__}: {error}".strip()) from None
    if refused:
        raise DeliveryFailed(f"SMTP refused {', '.join(refused)}")
