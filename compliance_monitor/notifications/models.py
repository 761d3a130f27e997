"""Who hears about alerts, how, and the record of every notification (an outbox of deliveries).

Every notification is a :class:`Delivery` row written in the same transaction as the alert change that
needs it; a sender claims rows with a conditional UPDATE, records the outcome, retries with backoff and
falls back to another channel. Nothing is dropped silently: a delivery that cannot be made ends as
``failed`` with its error, visible in the admin and the API.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email"
    IN_APP = "in_app"
    APPRISE = "apprise"  # chat, webhook and pager services through Apprise URLs


class Recipient(models.Model):
    """A person or team to notify, with where to reach them and what they are responsible for."""

    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, help_text="For the in-app inbox."
    )
    apprise_url = models.CharField(
        max_length=500, blank=True, help_text="An Apprise URL (e.g. slack://…, json://…); holds secrets: never logged."
    )
    connection = models.ForeignKey(
        "erp.Connection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recipients",
        help_text="The company whose warehouses these are; blank: that warehouse code in every company.",
    )
    warehouses = models.JSONField(default=list, blank=True, help_text="Warehouse codes this person manages.")
    is_administrator = models.BooleanField(default=False, help_text="Hears about job and system failures.")
    is_escalation_contact = models.BooleanField(default=False, help_text="Hears about unacknowledged critical alerts.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def channels(self) -> list[Channel]:
        found = [Channel.EMAIL] if self.email else []
        found += [Channel.IN_APP] if self.user_id else []
        return found + ([Channel.APPRISE] if self.apprise_url else [])


class DeliveryStatus(models.TextChoices):
    """pending → sending → sent; or back to pending (retry) and finally failed (fallback created if any)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MUTED = "muted"  # a maintenance window was on: recorded, not sent


class Delivery(models.Model):
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(Recipient, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reason = models.CharField(max_length=30, help_text="raised, severity_rise, escalation, …")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    fallback_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due", condition=Q(status="pending"))
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class InboxMessage(models.Model):
    """The in-app channel: a message in a user's inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    alert = models.ForeignKey("alerts.Alert", null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=300)
    body = models.TextField()
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_unread")]

    def __str__(self) -> str:
        return self.title


class MaintenanceWindow(models.Model):
    """While a window is on, alerts of its warehouse (or job) are recorded but nobody is notified."""

    connection = models.ForeignKey(
        "erp.Connection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The company of its warehouse; blank: that warehouse code in every company.",
    )
    warehouse = models.CharField(max_length=64, blank=True, help_text="Blank: not tied to a warehouse.")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.CASCADE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.warehouse or self.job} until {self.ends_at:%Y-%m-%d %H:%M}"
