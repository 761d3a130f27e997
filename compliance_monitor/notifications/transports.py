"""Channels: one method, ``send(delivery)``, raising :class:`TransportError` (``permanent`` or not)."""

from __future__ import annotations

import re
import smtplib
from typing import Any, Protocol

import apprise
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from compliance_monitor.notifications import messages, policy
from compliance_monitor.notifications.models import Channel, Delivery, Digest, InboxMessage


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    def send(self, delivery: Delivery) -> None: ...


class EmailTransport:
    def send(self, delivery: Delivery) -> None:
        address = delivery.recipient.email if delivery.recipient else ""
        if not address:
            raise TransportError("recipient has no e-mail address", permanent=True)
        message = EmailMessage(
            delivery.subject,
            delivery.body,
            settings.DEFAULT_FROM_EMAIL,
            [address],
            connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"SMTP server refused {address}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP server unavailable: {type(exc).__name__}: {exc}") from exc


class InAppTransport:
    def send(self, delivery: Delivery) -> None:
        user = delivery.recipient.user if delivery.recipient else None
        if user is None:
            raise TransportError("recipient has no user account for the in-app inbox", permanent=True)
        if delivery.digest is not None:
            self._digest(delivery, delivery.digest, user)
            return
        InboxMessage.objects.create(
            user=user, alert=delivery.alert, title=delivery.subject, body=delivery.body, created_at=delivery.created_at
        )

    def _digest(self, delivery: Delivery, digest: Digest, user: Any) -> None:
        """One message per company, so a user limited to some companies sees exactly their part of it."""
        sections = messages.digest_sections(digest, zone=policy.zone(digest.recipient))
        InboxMessage.objects.bulk_create(
            InboxMessage(
                user=user,
                connection=section.connection,
                title=delivery.subject if len(sections) == 1 else f"{delivery.subject} — {section.connection or '-'}",
                body=section.text,
                created_at=delivery.created_at,
            )
            for section in sections
        )


# Chat mentions and markup in text that comes from the ERP (product codes and names): `@channel`, `@here`,
# `@everyone`, `@someone`, and Slack/Discord's `<!channel>`, `<@U123>`, `<#C1>`, `<https://…|label>`.
MENTION = re.compile(r"(?<![\w.+-])@(?=\w)|<")
ZERO_WIDTH_SPACE = "\u200b"


def defang(text: str) -> str:
    """Plain text that pings nobody: a zero-width space after each mention sign and each ``<``."""
    return MENTION.sub(lambda match: match.group(0) + ZERO_WIDTH_SPACE, text)


class AppriseTransport:
    """Chat, webhook and pager services through Apprise — no hand-written HTTP clients.

    Sent as plain text (Apprise escapes it for Markdown and HTML services), mentions defanged.
    """

    def send(self, delivery: Delivery) -> None:
        url = delivery.recipient.apprise_url if delivery.recipient else ""
        notifier = apprise.Apprise()
        if not url or not notifier.add(url):
            raise TransportError("invalid or missing Apprise URL", permanent=True)  # the URL itself is secret
        sent = notifier.notify(
            title=defang(delivery.subject), body=defang(delivery.body), body_format=apprise.NotifyFormat.TEXT
        )
        if not sent:
            raise TransportError("the Apprise service did not accept the notification")


TRANSPORTS: dict[str, Transport] = {
    Channel.EMAIL: EmailTransport(),
    Channel.IN_APP: InAppTransport(),
    Channel.APPRISE: AppriseTransport(),
}
