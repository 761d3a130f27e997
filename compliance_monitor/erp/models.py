"""An ERP connection as data: one ABRA Flexi company on one server, its password encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.utils import timezone

from compliance_monitor.erp import crypto
from compliance_monitor.erp.client import ErpConfig

DEMO_NAME, DEFAULT_NAME = "demo", "default"
company_code = RegexValidator(
    r"^[A-Za-z0-9_.-]+$", "a Flexi company id: letters, digits, '_', '.' or '-' (as in /c/<company>/)"
)


def validate_base_url(value: str) -> None:
    URLValidator(schemes=["http", "https"], message="an http:// or https:// URL, e.g. https://erp.example.com:5434")(
        value
    )
    if "@" in urlsplit(value).netloc:
        raise ValidationError("no user or password in the URL: they have their own fields")


# What an administrator sets on a connection (the password write-only): one list for the service, the admin and
# the forms.
CONNECTION_SETTINGS = (
    "title",
    "base_url",
    "company",
    "username",
    "password",
    "verify_tls",
    "timeout_seconds",
    "page_size",
    "max_concurrent_requests",
    "enabled",
    "notes",
)


class Connection(models.Model):
    name = models.SlugField(max_length=64, unique=True, help_text="How jobs and commands name this connection.")
    title = models.CharField(max_length=200, blank=True)
    is_demo = models.BooleanField(
        default=False, editable=False, help_text="The built-in demo company: answers in-process, no network."
    )
    base_url = models.CharField(
        "base URL", max_length=500, blank=True, validators=[validate_base_url], help_text="e.g. https://erp:5434"
    )
    company = models.CharField(max_length=100, validators=[company_code], help_text="The company id in /c/<id>/.")
    username = models.CharField("API user", max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)  # Fernet token; never the plain text
    verify_tls = models.BooleanField("verify TLS", default=True, help_text="Off only for a self-signed certificate.")
    timeout_seconds = models.FloatField(default=30.0, validators=[MinValueValidator(0.1), MaxValueValidator(600)])
    page_size = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    max_concurrent_requests = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(64)],
        help_text="Stored, not yet enforced: runs still read the ERP one request at a time.",
    )
    enabled = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    last_test_result = models.JSONField(null=True, blank=True, editable=False)
    last_tested_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def password(self) -> str:
        """The plain password, decrypted on use (never stored, printed or logged)."""
        if not self.password_encrypted:
            return ""
        try:
            return crypto.decrypt(self.password_encrypted)
        except crypto.UndecryptableSecretError as exc:
            raise crypto.UndecryptableSecretError(f"connection {self.name!r}: {exc}") from None

    @password.setter
    def password(self, plain: str) -> None:
        self.password_encrypted = crypto.encrypt(plain) if plain else ""

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def clean(self) -> None:
        if not self.is_demo and not self.base_url:
            raise ValidationError({"base_url": "a connection to a server needs its URL"})

    def to_erp_config(self, **overrides: Any) -> ErpConfig:
        values: dict[str, Any] = {
            "url": self.base_url,
            "company": self.company,
            "username": self.username,
            "password": self.password,
            "verify_tls": self.verify_tls,
            "timeout_seconds": self.timeout_seconds,
            "page_size": self.page_size,
            "retries": settings.CM_ERP_RETRIES,
            "max_rows_per_scope": settings.CM_ERP_MAX_ROWS_PER_SCOPE,
            "max_response_bytes": settings.CM_ERP_MAX_RESPONSE_BYTES,
        }
        return ErpConfig(**{**values, **overrides})


def default_connection() -> int:
    """The connection a job or rule gets when none is named: ``default``, else ``demo``, else the first by name.

    Ensures the installation's connections first, so a fresh database has one to give. Called when saving, never
    as a field default (a migration would call it with today's models on yesterday's schema).
    """
    from compliance_monitor.erp.connections import ensure_connections, implied_connection

    ensure_connections(now=timezone.now())
    return implied_connection().pk


class Catalog(models.Model):
    """What a connection's ERP holds, as read at ``refreshed_at``: warehouses, goods groups and product types.

    Each list holds ``{"id", "code", "name"}`` objects (product types have no id). Rules are edited against it.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="catalog")
    warehouses = models.JSONField(default=list, blank=True)
    goods_groups = models.JSONField(default=list, blank=True)
    product_types = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    properties = models.JSONField(
        default=dict, blank=True, help_text="Evidence → its fields' types, read from /properties (erp/properties.py)."
    )
    error = models.TextField(blank=True, help_text="Why the latest refresh failed; blank when it worked.")
    error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"catalog of {self.connection_id}"


class RequestSlot(models.Model):
    """One of a connection's ``max_concurrent_requests`` slots: a request to its ERP is made only while holding one.

    Claimed with a conditional ``UPDATE … WHERE holder IS NULL OR expires_at < now`` (the job lease's pattern), so
    the limit holds across every run, worker and machine of the installation.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="request_slots")
    number = models.PositiveSmallIntegerField()
    holder = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "number"], name="request_slot_unique")]

    def __str__(self) -> str:
        return f"{self.connection_id} slot {self.number}"


class FeedMode(models.TextChoices):
    OFF = "off"
    POLL = "poll"  # read changes.json every few seconds: needs no inbound network
    HOOK = "hook"  # the ERP POSTs its changes to /hooks/flexi/<connection>/<secret>


class ChangeFeed(models.Model):
    """A connection's change feed (erp/change_feed.py): where it stands in the ERP's change log, and how it reads it.

    ``cursor`` is the last version processed: it advances in the transaction that stores what the changes asked
    to re-check, so a crash re-reads from it and nothing is lost; versions at or below it are duplicates.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="change_feed")
    mode = models.CharField(max_length=8, choices=FeedMode.choices, default=FeedMode.OFF)
    cursor = models.BigIntegerField(null=True, blank=True, help_text="The last change log version processed.")
    global_version = models.BigIntegerField(null=True, blank=True, help_text="The ERP's latest version, last seen.")
    hook_secret_encrypted = models.TextField(blank=True, editable=False)  # Fernet token of the hook URL's secret
    last_read_at = models.DateTimeField(null=True, blank=True, help_text="When the change log was last read whole.")
    last_change_at = models.DateTimeField(null=True, blank=True, help_text="When the last change was received.")
    last_change = models.JSONField(null=True, blank=True, help_text="The last change received (version, evidence…).")
    changes_received = models.PositiveBigIntegerField(default=0)
    warning = models.CharField(max_length=300, blank=True, help_text="Why the feed cannot read (change log off…).")
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"change feed of {self.connection_id} ({self.mode})"

    @property
    def hook_secret(self) -> str:
        return crypto.decrypt(self.hook_secret_encrypted) if self.hook_secret_encrypted else ""

    @hook_secret.setter
    def hook_secret(self, plain: str) -> None:
        self.hook_secret_encrypted = crypto.encrypt(plain) if plain else ""

    def lag_versions(self) -> int | None:
        if self.global_version is None or self.cursor is None:
            return None
        return max(0, self.global_version - self.cursor)

    def lag_seconds(self, now: datetime) -> float | None:
        """Seconds since the feed last knew it had every change (0 right after a whole read)."""
        return None if self.last_read_at is None else max(0.0, (now - self.last_read_at).total_seconds())


class DemoBooking(models.Model):
    """A stock booking made in the demo company (its scenario action); the demo's change log is these rows."""

    number = models.PositiveIntegerField(unique=True)
    data = models.JSONField(help_text="The booking (erp/bookings.py Booking), as its to_data gives it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"demo booking {self.number}"
