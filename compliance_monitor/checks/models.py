"""What each run found: one result per check and warehouse, and the violations behind it.

Stored per execution so later runs can be compared (new / persisting / fixed) and evidence exported.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from compliance_monitor.erp.models import default_connection


class ResultStatus(models.TextChoices):
    PASSED = "passed"
    VIOLATED = "violated"
    ERROR = "error"


class CheckResult(models.Model):
    execution = models.ForeignKey("jobs.Execution", on_delete=models.CASCADE, related_name="check_results")
    connection = models.CharField(max_length=64, blank=True, help_text="The ERP connection read (its name).")
    check_name = models.CharField(max_length=100)
    report_name = models.CharField(max_length=200, blank=True, help_text="The original report's name, if any.")
    warehouse = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=ResultStatus.choices)
    violation_count = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, help_text="Legacy message: 'PROD001 (5ks), PROD002 (3ks)'.")
    error = models.TextField(blank=True, help_text="Why this warehouse could not be checked.")
    compared_with = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The previous successful run's result for this check and warehouse.",
    )
    fixed = models.JSONField(default=list, blank=True, help_text="Violations of the compared run gone in this one.")
    rows_read = models.PositiveBigIntegerField(null=True, blank=True, help_text="Rows of a complete read.")
    is_current = models.BooleanField(
        default=True,
        help_text="The run looked at 'now' (no past date, no overridden parameters): it may change alerts.",
    )
    volume_note = models.CharField(
        max_length=300, blank=True, help_text="Why the rows read look collapsed (the volume guard); blank when not."
    )
    volume_accepted_by = models.CharField(max_length=150, blank=True, help_text="Who accepted this read's volume.")
    volume_accepted_at = models.DateTimeField(null=True, blank=True)
    check_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version of the check definition that ran; blank for built-in checks."
    )
    check_title = models.CharField(max_length=200, blank=True, help_text="The definition's title, as it ran.")
    thresholds = models.JSONField(
        null=True, blank=True, help_text="Severity thresholds [critical, high, medium] it ran with; blank: default."
    )
    accepted = models.JSONField(
        default=list, blank=True, help_text="Violations an accepted exception set aside: listed here, not counted."
    )

    class Meta:
        ordering = ["check_name", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "check_name", "warehouse"], name="check_result_unique")
        ]
        indexes = [models.Index(fields=["connection", "check_name", "warehouse"], name="check_result_scope")]

    def __str__(self) -> str:
        return f"{self.check_name} {self.warehouse}: {self.status}"

    @property
    def is_success(self) -> bool:
        return self.status == ResultStatus.PASSED

    @property
    def is_complete(self) -> bool:
        return self.status in (ResultStatus.PASSED, ResultStatus.VIOLATED)

    @property
    def is_suspect(self) -> bool:
        """The rows read collapsed and nobody accepted the new volume: its alerts must not be resolved."""
        return bool(self.volume_note) and self.volume_accepted_at is None


class Change(models.TextChoices):
    NEW = "new"
    PERSISTING = "persisting"


class Violation(models.Model):
    result = models.ForeignKey(CheckResult, on_delete=models.CASCADE, related_name="violations")
    change = models.CharField(
        max_length=12,
        choices=Change.choices,
        blank=True,
        help_text="Against the previous successful run; blank when not compared.",
    )
    warehouse = models.CharField(max_length=64)
    product_code = models.CharField(max_length=100)
    product_name = models.CharField(max_length=300, blank=True)
    goods_group = models.CharField(max_length=100, blank=True)
    quantity = models.FloatField(default=0)
    unit = models.CharField(max_length=20, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["product_code"]
        indexes = [models.Index(fields=["warehouse", "product_code"], name="violation_identity")]

    def __str__(self) -> str:
        return f"{self.warehouse}/{self.product_code}"


class ClassifyBy(models.TextChoices):
    GOODS_GROUP = "goods_group", "Goods group (skupZboz)"
    PRODUCT_TYPE = "product_type", "Product card type (typZasobyK)"


class WarehouseRule(models.Model):
    """Which goods a warehouse may hold: a stock row violates when its class is set, not allowed, and > 0."""

    connection = models.ForeignKey(
        "erp.Connection",
        on_delete=models.CASCADE,
        related_name="warehouse_rules",
        help_text="The ERP company whose warehouse this is.",
    )
    warehouse_code = models.CharField(max_length=64, help_text="Flexi warehouse code (sklad.kod).")
    warehouse_id = models.PositiveIntegerField(null=True, blank=True, help_text="Flexi warehouse id, if known.")
    report_name = models.CharField(max_length=200, blank=True, help_text="The original report's name.")
    classify_by = models.CharField(max_length=20, choices=ClassifyBy.choices, default=ClassifyBy.GOODS_GROUP)
    allowed = models.JSONField(
        default=list,
        help_text='Allowed goods groups (ids or codes, e.g. ["3"] or ["MATERIAL"]) or product types '
        '(e.g. ["material"] for typZasoby.material).',
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["connection__name", "warehouse_code"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "warehouse_code"], name="warehouse_rule_one_per_warehouse")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse_code}: {', '.join(map(str, self.allowed))}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.connection_id is None:  # none named: the installation's default connection
            self.connection_id = default_connection()
        super().save(*args, **kwargs)


class CheckDefinition(models.Model):
    """A check as data (``checks/definition.py``): the current version of one definition, by name.

    ``spec`` is the definition's plain data (what ``to_data`` gives); every change is a new version, kept in
    :class:`CheckDefinitionVersion`, and each result records the version it ran.
    """

    name = models.CharField(max_length=100, unique=True)
    version = models.PositiveIntegerField(default=1)
    spec = models.JSONField(help_text="The definition as plain data (the YAML file's content).")
    enabled = models.BooleanField(default=True)
    shipped = models.BooleanField(default=False, help_text="Installed from the rule library (users copy and edit).")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class CheckDefinitionVersion(models.Model):
    """Every version a definition had: what a result's ``check_version`` ran."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField()
    spec = models.JSONField()
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="check_definition_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AcceptedException(models.Model):
    """An operator's word that one violation is legitimate until a date — a product kept in another store for a
    season. While it stands, that violation (connection + check + scope + identity) is listed on the run and the
    alert as accepted and counts toward neither; from ``expires_at`` on (or once revoked) it counts again."""

    connection = models.CharField(max_length=64, help_text="The ERP connection, by name.")
    check_name = models.CharField(max_length=100)
    warehouse = models.CharField(max_length=64, help_text="The scope (a warehouse for the original reports).")
    identity = models.CharField(max_length=100, help_text="What makes the violation one: e.g. the product code.")
    reason = models.TextField()
    expires_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    revoked_by = models.CharField(max_length=150, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["expires_at"], name="accepted_exception_expiry")]

    def __str__(self) -> str:
        return f"{self.connection}/{self.check_name}/{self.warehouse}/{self.identity}"

    def stands_at(self, at: Any) -> bool:
        return self.created_at <= at < self.expires_at and (self.revoked_at is None or at < self.revoked_at)
