"""Who hears about alerts, how, and the record of every notification (an outbox of deliveries).

Every notification is a :class:`Delivery` row written in the same transaction as the alert change that
needs it; a sender claims rows with a conditional UPDATE, records the outcome, retries with backoff and
falls back to another channel. Nothing is dropped silently: a delivery that cannot be made ends as
``failed`` with its error, visible in the admin and the API.
"""

from __future__ import annotations

from datetime import time
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _


class Channel(models.TextChoices):
    EMAIL = "email"
    IN_APP = "in_app"
    APPRISE = "apprise"  # chat, webhook and pager services through Apprise URLs


class Policy(models.TextChoices):
    """How a recipient hears of an alert of one severity; critical alerts are always sent at once."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Cadence(models.TextChoices):
    HOURLY = "hourly"
    DAILY = "daily"


def valid_time_zone(name: str) -> None:
    if name and name not in available_timezones():
        raise ValidationError(
            _("unknown time zone %(zone)s (an IANA name such as Europe/Prague)") % {"zone": repr(name)}
        )


class Recipient(models.Model):
    """A person or team to notify, with where to reach them and what they are responsible for.

    The delivery policy: per severity *immediate* or *digest* (critical is always immediate); a digest is sent
    every hour, or daily at ``digest_time``, in the recipient's time zone. During quiet hours only critical
    alerts go out; other immediate notifications wait for the quiet hours' end, digests are held and merged.
    """

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
    high_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.IMMEDIATE)
    medium_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.DIGEST)
    low_policy = models.CharField(max_length=10, choices=Policy.choices, default=Policy.DIGEST)
    digest_cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.HOURLY)
    digest_time = models.TimeField(default=time(8, 0), help_text="Daily digests: when, in the recipient's time zone.")
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[valid_time_zone], help_text="Blank: the service's time zone."
    )
    quiet_hours_start = models.TimeField(null=True, blank=True, help_text="Local time; critical alerts still go out.")
    quiet_hours_end = models.TimeField(null=True, blank=True)
    language = models.CharField(
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="What their e-mails, inbox messages and chat notifications are written in; blank: the "
        "installation's language (LANGUAGE_CODE).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if (start is None) != (end is None):
            missing = "quiet_hours_end" if end is None else "quiet_hours_start"
            raise ValidationError({missing: [_("quiet hours need both a start and an end")]})
        if start is not None and start == end:
            raise ValidationError({"quiet_hours_end": [_("quiet hours must end at another time than they start")]})

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


class Digest(models.Model):
    """One period's digest for one recipient: the items it took, sent as deliveries (one per channel)."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="digests")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_end", "-pk"]

    def __str__(self) -> str:
        return f"digest for {self.recipient} until {self.period_end:%Y-%m-%d %H:%M}"


class DigestKind(models.TextChoices):
    RAISED = "raised"
    CHANGED = "changed"  # severity rose or fell
    RESOLVED = "resolved"


class DigestItem(models.Model):
    """An alert change waiting for a recipient's next digest; ``digest`` is set when a digest takes it (once)."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="digest_items")
    alert = models.ForeignKey("alerts.Alert", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=DigestKind.choices)
    severity = models.PositiveSmallIntegerField(help_text="The alert's severity at the change.")
    at = models.DateTimeField()
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["recipient", "at"], name="digest_item_pending", condition=Q(digest=None))]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.alert_id} for {self.recipient_id} at {self.at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    alert = models.ForeignKey(
        "alerts.Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )  # null: a digest (``digest``), about many alerts
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
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
    connection = models.CharField(
        max_length=64, blank=True, help_text="A digest's company (by name): its alerts are of that company."
    )
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
