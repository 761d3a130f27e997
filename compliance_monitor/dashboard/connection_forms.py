"""Forms for ERP connections and their warehouse rules. They shape input only: the rules are the models' and the
services' (``erp/connections.py``, ``checks/rules.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance_monitor.checks.models import ClassifyBy, WarehouseRule
from compliance_monitor.dashboard.rule_lines import CLASSIFY_BY_LABELS, CatalogIndex, Choice

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

UNKNOWN = gettext_lazy("⚠ unknown to the ERP's catalog")
URL_HELP = gettext_lazy("e.g. https://erp.example.com:5434")
COMPANY_HELP = gettext_lazy("The company id in /c/<id>/.")


def password_field(help_text: _StrPromise) -> forms.CharField:
    """Write-only: never rendered back, not even after an error."""
    return forms.CharField(
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        label=gettext_lazy("Password"),
        help_text=help_text,
    )


class ConnectionForm(forms.Form):
    """A new connection; the password is write-only (never rendered back, not even after an error)."""

    name = forms.SlugField(
        max_length=64, label=gettext_lazy("Name"), help_text=gettext_lazy("How jobs and commands name this connection.")
    )
    title = forms.CharField(max_length=200, required=False, label=gettext_lazy("Title"))
    base_url = forms.CharField(max_length=500, label=gettext_lazy("Base URL"), help_text=URL_HELP)
    company = forms.CharField(max_length=100, label=gettext_lazy("Company"), help_text=COMPANY_HELP)
    username = forms.CharField(max_length=200, required=False, label=gettext_lazy("API user"))
    password = password_field(gettext_lazy("Stored encrypted; never shown again."))
    verify_tls = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Verify TLS"))
    timeout_seconds = forms.FloatField(
        min_value=0.1, max_value=600, initial=30.0, label=gettext_lazy("Timeout (seconds)")
    )
    page_size = forms.IntegerField(min_value=1, max_value=10_000, initial=1000, label=gettext_lazy("Page size"))


class ConnectionEditForm(forms.Form):
    """A connection's settings but its name. A blank password keeps the stored one; removing it is explicit."""

    title = forms.CharField(max_length=200, required=False, label=gettext_lazy("Title"))
    base_url = forms.CharField(max_length=500, required=False, label=gettext_lazy("Base URL"), help_text=URL_HELP)
    company = forms.CharField(max_length=100, label=gettext_lazy("Company"), help_text=COMPANY_HELP)
    username = forms.CharField(max_length=200, required=False, label=gettext_lazy("API user"))
    password = password_field(gettext_lazy("Blank keeps the stored password; type a new one to replace it."))
    remove_password = forms.BooleanField(required=False, label=gettext_lazy("Remove the stored password"))
    verify_tls = forms.BooleanField(required=False, label=gettext_lazy("Verify TLS"))
    timeout_seconds = forms.FloatField(min_value=0.1, max_value=600, label=gettext_lazy("Timeout (seconds)"))
    page_size = forms.IntegerField(min_value=1, max_value=10_000, label=gettext_lazy("Page size"))
    enabled = forms.BooleanField(required=False, label=pgettext_lazy("connection", "Enabled"))
    notes = forms.CharField(
        required=False, max_length=5000, label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("remove_password"):
            self.add_error("remove_password", _("either type a new password or remove the stored one, not both"))
        return data

    def changes(self) -> dict[str, Any]:
        """What ``update_connection`` gets: ``password`` only when it is replaced ("" when removed)."""
        data = dict(self.cleaned_data)
        remove = data.pop("remove_password")
        if remove:
            data["password"] = ""
        elif not data["password"]:
            del data["password"]
        return data


class RemoveConnectionForm(forms.Form):
    confirm = forms.BooleanField(
        required=True, label=gettext_lazy("Yes, remove this connection, its rules and its catalog")
    )


class RuleForm(forms.Form):
    """A warehouse rule picked from the connection's catalog: the warehouse from a list, the allowed goods groups
    (or product types) by ticking. Codes the catalog does not know, already on the rule, stay offered (flagged)."""

    warehouse_code = forms.ChoiceField(label=gettext_lazy("Warehouse"), choices=())
    classify_by = forms.ChoiceField(
        label=gettext_lazy("Judge goods by"),
        choices=list(CLASSIFY_BY_LABELS.items()),
        initial=ClassifyBy.GOODS_GROUP,
        widget=forms.RadioSelect,
    )
    allowed_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed goods groups"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    allowed_types = forms.MultipleChoiceField(
        label=gettext_lazy("Allowed product types"), choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    report_name = forms.CharField(
        max_length=200,
        required=False,
        label=gettext_lazy("Report name"),
        help_text=gettext_lazy("The original report's name, if any."),
    )
    enabled = forms.BooleanField(required=False, initial=True, label=pgettext_lazy("rule", "Enabled"))

    def __init__(self, *args: Any, index: CatalogIndex, rule: WarehouseRule | None = None, **kwargs: Any) -> None:
        if rule is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", initial_of(rule, index))
        super().__init__(*args, **kwargs)
        warehouses = index.warehouse_choices()
        groups = index.allowed_choices(ClassifyBy.GOODS_GROUP)
        types = index.allowed_choices(ClassifyBy.PRODUCT_TYPE)
        if rule is not None:
            warehouses = _with_unknown(warehouses, [rule.warehouse_code])
            held = [index.choice_value(str(v), rule.classify_by) for v in rule.allowed]
            if rule.classify_by == ClassifyBy.PRODUCT_TYPE:
                types = _with_unknown(types, held)
            else:
                groups = _with_unknown(groups, held)
        self.fields["warehouse_code"].choices = [("", _("— pick a warehouse —")), *warehouses]  # type: ignore[attr-defined]
        self.fields["allowed_groups"].choices = groups  # type: ignore[attr-defined]
        self.fields["allowed_types"].choices = types  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        by_type = data.get("classify_by") == ClassifyBy.PRODUCT_TYPE
        field = "allowed_types" if by_type else "allowed_groups"
        if "classify_by" in data and not data.get(field):
            if by_type:
                self.add_error(field, _("tick at least one product type the warehouse may hold"))
            else:
                self.add_error(field, _("tick at least one goods group the warehouse may hold"))
        return data

    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        by_type = data["classify_by"] == ClassifyBy.PRODUCT_TYPE
        return {
            "warehouse_code": data["warehouse_code"],
            "classify_by": data["classify_by"],
            "allowed": list(data["allowed_types"] if by_type else data["allowed_groups"]),
            "report_name": data["report_name"],
            "enabled": data["enabled"],
        }


def initial_of(rule: WarehouseRule, index: CatalogIndex) -> dict[str, Any]:
    held = [index.choice_value(str(value), rule.classify_by) for value in rule.allowed]
    by_type = rule.classify_by == ClassifyBy.PRODUCT_TYPE
    return {
        "warehouse_code": rule.warehouse_code,
        "classify_by": rule.classify_by,
        "allowed_types" if by_type else "allowed_groups": held,
        "report_name": rule.report_name,
        "enabled": rule.enabled,
    }


def _with_unknown(choices: list[Choice], values: list[str]) -> list[Choice]:
    offered = {value for value, _ in choices}
    return choices + [(value, f"{value} {UNKNOWN}") for value in dict.fromkeys(values) if value not in offered]
