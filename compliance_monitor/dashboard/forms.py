"""Forms for the dashboard's actions. They shape input only: the rules live in the services they feed."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance_monitor.alerts import texts
from compliance_monitor.alerts.models import AlertType, Severity
from compliance_monitor.checks import registry
from compliance_monitor.jobs.models import Status, Trigger


class CodesField(forms.CharField):
    """Warehouse codes typed as ``MATERIAL, PRODUCTS`` (blank = all)."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [code.strip() for code in text.replace(",", " ").split() if code.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


CRON_HELP = gettext_lazy("minute hour day-of-month month day-of-week, or @hourly …")


class JobForm(forms.Form):
    """The settings an administrator edits; validation of each is the jobs service's (errors keyed by field)."""

    description = forms.CharField(max_length=300, required=False)
    cron = forms.CharField(max_length=200, help_text=CRON_HELP)
    timezone = forms.CharField(max_length=64)
    checks = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    warehouses = CodesField(
        required=False, help_text=gettext_lazy("Codes separated by commas; blank = every warehouse.")
    )
    timeout_seconds = forms.IntegerField(min_value=1, label=gettext_lazy("Timeout (seconds)"))
    max_retries = forms.IntegerField(min_value=0, max_value=10)
    retry_backoff_seconds = forms.IntegerField(min_value=0, label=gettext_lazy("Retry backoff (seconds)"))
    auto_disable_on_failures = forms.BooleanField(
        required=False, label=gettext_lazy("Auto-disable after repeated failures")
    )
    max_consecutive_failures = forms.IntegerField(
        min_value=1, label=gettext_lazy("… after this many failures in a row")
    )
    slow_run_factor = forms.FloatField(
        min_value=0,
        max_value=100,
        label=gettext_lazy("Slow past × the usual p95"),
        help_text=gettext_lazy("Of its last 30 successful runs; 0: off."),
    )
    slow_run_margin_seconds = forms.IntegerField(
        min_value=0, max_value=24 * 3600, label=gettext_lazy("… and past p95 + (seconds)")
    )
    slow_run_timeout_percent = forms.IntegerField(
        min_value=0,
        max_value=99,
        label=gettext_lazy("Slow past this percentage of the timeout"),
        help_text=gettext_lazy("0: off."),
    )
    short_run_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label=gettext_lazy("Suspiciously short under this percentage of the median"),
        help_text=gettext_lazy("When it also read at most half the usual rows; 0: off."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checks"].choices = registry.labelled()  # type: ignore[attr-defined]


class JobNewForm(forms.Form):
    """A new job: its name, the connection it reads, when, which checks, which of that connection's warehouses."""

    name = forms.SlugField(
        max_length=100, help_text=gettext_lazy("Letters, digits, '-' and '_': how the API and CLI name it.")
    )
    description = forms.CharField(max_length=300, required=False)
    connection = forms.ChoiceField(choices=(), help_text=gettext_lazy("The ERP company its checks read."))
    cron = forms.CharField(max_length=200, initial="0 * * * *", help_text=CRON_HELP)
    timezone = forms.CharField(max_length=64)
    checks = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple)
    warehouses = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked = every warehouse."),
    )
    enabled = forms.BooleanField(
        required=False, initial=True, help_text=gettext_lazy("Off: created, but not scheduled yet.")
    )

    def __init__(self, *args: Any, connections: list[tuple[str, str]], warehouses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].choices = connections  # type: ignore[attr-defined]
        self.fields["checks"].choices = registry.labelled()  # type: ignore[attr-defined]
        self.fields["warehouses"].choices = [(code, code) for code in warehouses]  # type: ignore[attr-defined]


class RunForm(forms.Form):
    """Run now: optional parameters (a JSON object), a subset of warehouses, a reason."""

    reason = forms.CharField(max_length=500, required=False)
    warehouses = forms.MultipleChoiceField(choices=(), required=False, widget=forms.CheckboxSelectMultiple)
    parameters = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=gettext_lazy('e.g. {"date": "2026-11-27"}')
    )
    force = forms.BooleanField(required=False, label=gettext_lazy("Force the run although the job is disabled"))

    def __init__(self, *args: Any, warehouses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouses"].choices = [(code, code) for code in warehouses]  # type: ignore[attr-defined]

    def clean_parameters(self) -> dict[str, Any]:
        text = self.cleaned_data["parameters"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("not valid JSON: %(error)s (line %(line)s, column %(column)s)")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(_('parameters must be a JSON object, e.g. {"date": "2026-11-27"}'))
        return value


class DisableForm(forms.Form):
    reason = forms.CharField(max_length=500, required=True)


class ResolveForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=True)


def _choices(values: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", "any"), *values]


# A run's status and trigger as the history filters offer them: the stored values, translated labels.
RUN_STATUS_LABELS = {
    Status.QUEUED: pgettext_lazy("run status", "Queued"),
    Status.RUNNING: pgettext_lazy("run status", "Running"),
    Status.SUCCEEDED: pgettext_lazy("run status", "Succeeded"),
    Status.FAILED: pgettext_lazy("run status", "Failed"),
    Status.TIMED_OUT: pgettext_lazy("run status", "Timed Out"),
    Status.SKIPPED: pgettext_lazy("run status", "Skipped"),
    Status.ABANDONED: pgettext_lazy("run status", "Abandoned"),
    Status.CANCELLED: pgettext_lazy("run status", "Cancelled"),
}
RUN_TRIGGER_LABELS = {
    Trigger.SCHEDULED: pgettext_lazy("run trigger", "Scheduled"),
    Trigger.MANUAL: pgettext_lazy("run trigger", "Manual"),
    Trigger.RETRY: pgettext_lazy("run trigger", "Retry"),
    Trigger.EMERGENCY: pgettext_lazy("run trigger", "Emergency"),
    Trigger.CHANGE: pgettext_lazy("run trigger", "Change"),
}


def _run_choices(labels: dict[Any, Any]) -> list[tuple[str, Any]]:
    return [("", pgettext_lazy("history filter", "any")), *((str(value), label) for value, label in labels.items())]


class HistoryFilters(forms.Form):
    status = forms.ChoiceField(choices=_run_choices(RUN_STATUS_LABELS), required=False)
    trigger = forms.ChoiceField(choices=_run_choices(RUN_TRIGGER_LABELS), required=False)


class AlertFilters(forms.Form):
    """Labels translated at display (``alerts/texts/``); the values stay the API's."""

    state = forms.ChoiceField(
        choices=[(state, texts.STATE_LABELS[state]) for state in ("active", "open", "acknowledged", "resolved", "all")],
        required=False,
    )
    severity = forms.ChoiceField(
        choices=[(s.label, texts.SEVERITY_OR_WORSE[s.label]) for s in Severity], required=False
    )
    type = forms.ChoiceField(
        choices=[("", texts.ANY), *((t.value, texts.TYPE_LABELS[t]) for t in AlertType)], required=False
    )
    warehouse = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args: Any, warehouses: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].choices = [("", texts.ANY), *((w, w) for w in warehouses)]  # type: ignore[attr-defined]
