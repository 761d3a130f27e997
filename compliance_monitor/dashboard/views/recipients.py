"""Recipients and their delivery policy (issue 16): who hears of alerts, through which channels, for which
warehouses — and, per severity, at once or in a digest, the digest's cadence, time zone, quiet hours and language.

Who: the admin role sees and changes every recipient of their companies (as ``/api/v1/recipients`` does); a user
linked to a recipient (``Recipient.user``) sees and changes their own one's policy and language. Warehouses and
channels are changed in the admin only; the Apprise URL holds secrets and is never shown. Everyone else: a 403
naming the admin role; another's recipient is a 404 to a linked user. The change is checked by the same service as
the API's (``notifications.services.set_policy``) and recorded in the configuration audit.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from compliance_monitor.accounts.access import within
from compliance_monitor.accounts.roles import Role, require, role_of
from compliance_monitor.dashboard.views.common import page, signed_in
from compliance_monitor.dashboard.views.jobs import attach
from compliance_monitor.notifications import services
from compliance_monitor.notifications.models import Cadence, Policy, Recipient

POLICY_CHOICES = [
    (Policy.IMMEDIATE.value, pgettext_lazy("delivery policy", "at once")),
    (Policy.DIGEST.value, pgettext_lazy("delivery policy", "in the digest")),
]
CADENCE_CHOICES = [
    (Cadence.HOURLY.value, pgettext_lazy("digest cadence", "every hour")),
    (Cadence.DAILY.value, pgettext_lazy("digest cadence", "daily, at the digest time")),
]
CLOCK = forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class PolicyForm(forms.Form):
    """What the page changes: the fields of ``services.PREFERENCE_FIELDS``. Only their shape is read here (a
    choice, a time); whether they hold together (a known time zone, quiet hours with both ends) is the service's
    word, shown at the field it names."""

    high_policy = forms.ChoiceField(choices=POLICY_CHOICES, label=gettext_lazy("High alerts"))
    medium_policy = forms.ChoiceField(choices=POLICY_CHOICES, label=gettext_lazy("Medium alerts"))
    low_policy = forms.ChoiceField(choices=POLICY_CHOICES, label=gettext_lazy("Low alerts"))
    digest_cadence = forms.ChoiceField(choices=CADENCE_CHOICES, label=gettext_lazy("Digest"))
    digest_time = forms.TimeField(
        widget=CLOCK, label=gettext_lazy("Digest time"), help_text=gettext_lazy("For a daily digest (HH:MM).")
    )
    time_zone = forms.CharField(
        max_length=64,
        required=False,
        label=gettext_lazy("Time zone"),
        help_text=gettext_lazy("An IANA name such as Europe/Prague; blank: the service's time zone."),
        widget=forms.TextInput(attrs={"placeholder": "Europe/Prague"}),
    )
    quiet_hours_start = forms.TimeField(
        widget=CLOCK,
        required=False,
        label=gettext_lazy("Quiet hours from"),
        help_text=gettext_lazy("Local time; only critical alerts go out until the end. Blank both: none."),
    )
    quiet_hours_end = forms.TimeField(widget=CLOCK, required=False, label=gettext_lazy("Quiet hours until"))
    language = forms.ChoiceField(required=False, label=gettext_lazy("Language of the notifications"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", installation_language()), *settings.LANGUAGES]

    def changes(self, recipient: Recipient) -> dict[str, Any]:
        """The fields whose value differs from the recipient's (``set_policy`` saves and audits those only)."""
        return {name: value for name, value in self.cleaned_data.items() if getattr(recipient, name) != value}


def installation_language() -> str:
    name = dict(settings.LANGUAGES).get(settings.LANGUAGE_CODE, settings.LANGUAGE_CODE)
    return _("the installation's (%(language)s)") % {"language": name}


def reachable(request: HttpRequest) -> QuerySet[Recipient]:
    """The recipients this user may see and change: an admin's of their companies (with their own), a linked
    user's own; anyone else is refused with a 403 naming the admin role."""
    user: Any = request.user
    own = Recipient.objects.filter(user=user)
    if (role_of(user) or 0) >= Role.ADMIN:
        found = within(user, Recipient.objects.all(), "connection__name") | own
    elif own.exists():
        found = own
    else:
        require(user, Role.ADMIN)  # raises, naming the role needed
    return found.select_related("connection", "user").order_by("name", "pk")


def shown(recipient: Recipient, viewer: Any) -> dict[str, Any]:
    """What the pages say of a recipient — never its Apprise URL (it holds the chat service's secret)."""
    return {
        "recipient": recipient,
        "own": recipient.user_id is not None and recipient.user_id == viewer.pk,
        "has_email": bool(recipient.email),
        "has_inbox": recipient.user_id is not None,
        "has_chat": bool(recipient.apprise_url),
        "warehouses": [str(code) for code in recipient.warehouses or [] if code],
        "policies": [
            (_("High"), policy_label(recipient.high_policy)),
            (_("Medium"), policy_label(recipient.medium_policy)),
            (_("Low"), policy_label(recipient.low_policy)),
        ],
        "cadence": dict(CADENCE_CHOICES).get(recipient.digest_cadence, recipient.digest_cadence),
        "language_name": dict(settings.LANGUAGES).get(recipient.language, "") if recipient.language else "",
    }


def policy_label(value: str) -> str:
    return str(dict(POLICY_CHOICES).get(value, value))


@require_GET
@signed_in
def recipient_list(request: HttpRequest) -> HttpResponse:
    rows = [shown(recipient, request.user) for recipient in reachable(request)]
    context = {"rows": rows, "as_admin": (role_of(request.user) or 0) >= Role.ADMIN}
    return page(request, "dashboard/recipients.html", context)


@require_http_methods(["GET", "POST"])
@signed_in
def recipient_detail(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = get_object_or_404(reachable(request), pk=recipient_id)
    if request.method == "GET":
        initial = {name: getattr(recipient, name) for name in services.PREFERENCE_FIELDS}
        return detail_page(request, recipient, PolicyForm(initial=initial))
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            services.set_policy(recipient, **form.changes(recipient))
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("Saved the notification settings of %(name)s.") % {"name": recipient.name})
            return redirect("dashboard:recipient", recipient_id=recipient.pk)
    fresh = get_object_or_404(reachable(request), pk=recipient_id)  # not the refused values
    return detail_page(request, fresh, form, status=422)


def detail_page(request: HttpRequest, recipient: Recipient, form: PolicyForm, *, status: int = 200) -> HttpResponse:
    info = shown(recipient, request.user)
    context = {**info, "row": info, "form": form}
    return page(request, "dashboard/recipient.html", context, status=status)
