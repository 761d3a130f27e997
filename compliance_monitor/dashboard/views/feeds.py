"""A connection's change feed on its page: switching it (admin), and the demo company's scenario action — booking
stock into a demo warehouse (operator), which the demo's change feed turns into a re-check within seconds."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from compliance_monitor.accounts.roles import Role
from compliance_monitor.dashboard.views.common import needs
from compliance_monitor.dashboard.views.connections import connection_or_404
from compliance_monitor.erp import bookings, change_feed, demo, synthetic
from compliance_monitor.erp.models import FeedMode

WAREHOUSES = [(w.code, f"{w.code} — {w.name}") for w in synthetic.Company.demo().warehouses]


class FeedForm(forms.Form):
    mode = forms.ChoiceField(choices=FeedMode.choices)


class BookingForm(forms.Form):
    warehouse = forms.ChoiceField(choices=WAREHOUSES, initial="ZBOZI", label="Into warehouse")
    product = forms.CharField(max_length=20, initial="MAT00001", label="Product code", help_text="e.g. MAT00001")
    quantity = forms.FloatField(min_value=-1e6, max_value=1e6, initial=5, label="Quantity")


def feed_anchor(name: str) -> str:
    return reverse("dashboard:connection", kwargs={"name": name}) + "#change-feed"


@require_POST
@needs(Role.ADMIN)
def feed_mode(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    form = FeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, "mode: choose off, poll or hook.")
        return redirect(feed_anchor(connection.name))
    feed = change_feed.set_mode(connection, form.cleaned_data["mode"], now=timezone.now())
    if feed.warning:
        messages.warning(request, f"Change feed of {connection.name}: {feed.mode}, but {feed.warning}.")
    else:
        messages.success(request, f"Change feed of {connection.name}: {feed.mode}.")
    return redirect(feed_anchor(connection.name))


@require_POST
@needs(Role.OPERATOR)
def demo_booking(request: HttpRequest, name: str) -> HttpResponse:
    connection = connection_or_404(request, name)
    form = BookingForm(request.POST)
    if not connection.is_demo or not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(map(str, errs))}" for field, errs in form.errors.items())
        messages.error(request, problems or "Only the demo company can be booked into from here.")
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
        messages.error(request, f"Not booked: {exc}.")
    else:
        messages.success(
            request,
            f"Booked {data['quantity']:g} × {data['product'].upper()} into {data['warehouse']} "
            f"(document {booking.code}, change log version {booking.version}): re-checked within seconds.",
        )
    return redirect(feed_anchor(connection.name))
