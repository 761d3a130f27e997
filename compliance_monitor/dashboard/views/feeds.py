"""A connection's change feed on its page: switching it (admin), and the demo company's scenario action — booking
stock into a demo warehouse (operator), which the demo's change feed turns into a re-check within seconds."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard.views.common import needs
from compliance_monitor.dashboard.views.connections import FEED_MODE_LABELS, connection_or_404, feed_mode_label
from compliance_monitor.erp import bookings, change_feed, demo, synthetic
from compliance_monitor.erp.models import FeedMode

WAREHOUSES = [(w.code, f"{w.code} — {w.name}") for w in synthetic.Company.demo().warehouses]


class FeedForm(forms.Form):
    mode = forms.ChoiceField(choices=[(mode, FEED_MODE_LABELS.get(mode, mode)) for mode in FeedMode.values])


class BookingForm(forms.Form):
    warehouse = forms.ChoiceField(choices=WAREHOUSES, initial="ZBOZI", label=gettext_lazy("Into warehouse"))
    product = forms.CharField(
        max_length=20, initial="MAT00001", label=gettext_lazy("Product code"), help_text=gettext_lazy("e.g. MAT00001")
    )
    quantity = forms.FloatField(min_value=-1e6, max_value=1e6, initial=5, label=gettext_lazy("Quantity"))


def feed_anchor(name: str) -> str:
    return reverse("dashboard:connection", kwargs={"name": name}) + "#change-feed"


@require_POST
@needs(Role.ADMIN)
def feed_mode(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    form = FeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("mode: choose off, poll or hook."))
        return redirect(feed_anchor(connection.name))
    feed = change_feed.set_mode(connection, form.cleaned_data["mode"], now=timezone.now())
    said = {"name": connection.name, "mode": feed_mode_label(feed.mode), "warning": feed.warning}
    if feed.warning:
        messages.warning(request, _("Change feed of %(name)s: %(mode)s, but %(warning)s.") % said)
    else:
        messages.success(request, _("Change feed of %(name)s: %(mode)s.") % said)
    return redirect(feed_anchor(connection.name))


@require_POST
@needs(Role.OPERATOR)
def demo_booking(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    form = BookingForm(request.POST)
    if not connection.is_demo or not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errs))}" for field, errs in form.errors.items())
        messages.error(request, problems or _("Only the demo company can be booked into from here."))
        return redirect(feed_anchor(connection.name))
    data = form.cleaned_data
    try:
        booking = demo.book(
            data["warehouse"],
            [(data["product"].strip().upper(), data["quantity"])],
            user=request.user.get_username(),
            now=timezone.now(),
        )
    except bookings.BookingError as exc:
        messages.error(request, _("Not booked: %(error)s.") % {"error": exc})
    else:
        booked = {
            "quantity": f"{data['quantity']:g}",
            "product": data["product"].upper(),
            "warehouse": data["warehouse"],
            "document": booking.code,
            "version": booking.version,
        }
        text = _(
            "Booked %(quantity)s × %(product)s into %(warehouse)s (document %(document)s, change log version "
            "%(version)s): re-checked within seconds."
        )
        messages.success(request, text % booked)
    return redirect(feed_anchor(connection.name))
