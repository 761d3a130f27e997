"""/api/v1/recipients — who is notified, and each recipient's delivery policy (immediate or digest per severity,
digest cadence, time zone, quiet hours) and language. Admin role; a user limited to some companies sees their
recipients only. Recipients themselves are added and removed in the admin."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import Body
from compliance_monitor.notifications import services
from compliance_monitor.notifications.models import Recipient

router = Router(tags=["recipients"])
CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
PolicyChoice = Literal["immediate", "digest"]


class RecipientOut(Schema):
    id: int
    name: str
    email: str
    connection: str | None = Field(..., description="The company of its warehouses; null: those codes everywhere.")
    warehouses: list[str]
    is_administrator: bool
    is_escalation_contact: bool
    active: bool
    high_policy: str = Field(..., description="immediate | digest (critical alerts are always immediate)")
    medium_policy: str
    low_policy: str
    digest_cadence: str = Field(..., description="hourly | daily (at digest_time)")
    digest_time: str = Field(..., description="HH:MM in time_zone: when a daily digest is sent")
    time_zone: str = Field(..., description="IANA name; blank: the service's time zone")
    quiet_hours_start: str | None = Field(..., description="HH:MM local; only critical alerts go out until the end")
    quiet_hours_end: str | None
    language: str = Field(
        ..., description="What their notifications are written in: en | cs; blank: the installation's language"
    )


class PolicyPatch(Body):
    """Only the fields given change; ``quiet_hours_start`` and ``quiet_hours_end`` null (both) switch them off.
    There is no ``critical_policy``: critical alerts are always sent at once (an unknown field is a 422)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    high_policy: PolicyChoice | None = None
    medium_policy: PolicyChoice | None = None
    low_policy: PolicyChoice | None = None
    digest_cadence: Literal["hourly", "daily"] | None = None
    digest_time: str | None = Field(None, pattern=CLOCK)
    time_zone: str | None = Field(None, max_length=64)
    quiet_hours_start: str | None = Field(None, pattern=CLOCK)
    quiet_hours_end: str | None = Field(None, pattern=CLOCK)
    language: str | None = Field(
        None, max_length=10, description="en | cs; blank: the installation's language (an unknown one is a 422)"
    )


def out(recipient: Recipient) -> dict[str, Any]:
    data = {name: getattr(recipient, name) for name in RecipientOut.model_fields}
    clocks = ("digest_time", "quiet_hours_start", "quiet_hours_end")
    return data | {
        "connection": recipient.connection.name if recipient.connection else None,
        "warehouses": [str(code) for code in recipient.warehouses or []],
        **{name: f"{data[name]:%H:%M}" if data[name] is not None else None for name in clocks},
    }


def visible(request: HttpRequest) -> Any:
    return access.within(request.user, Recipient.objects.select_related("connection"), "connection__name")


@router.get("", response={200: list[RecipientOut], **ERRORS}, summary="Recipients and their delivery policy")
def list_recipients(request: HttpRequest) -> list[dict[str, Any]]:
    actor(request, Role.ADMIN)
    return [out(recipient) for recipient in visible(request)]


@router.get("/{recipient_id}", response={200: RecipientOut, **ERRORS}, summary="One recipient")
def read_recipient(request: HttpRequest, recipient_id: int) -> dict[str, Any]:
    actor(request, Role.ADMIN)
    return out(get_object_or_404(visible(request), pk=recipient_id))


@router.patch(
    "/{recipient_id}", response={200: RecipientOut, **ERRORS}, summary="Change a delivery policy or the language"
)
def update_policy(request: HttpRequest, recipient_id: int, body: PolicyPatch) -> dict[str, Any]:
    actor(request, Role.ADMIN)
    recipient = get_object_or_404(visible(request), pk=recipient_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("digest_time", "quiet_hours_start", "quiet_hours_end"):
        if changes.get(name) is not None:
            changes[name] = time.fromisoformat(changes[name])
    needed = ("high_policy", "medium_policy", "low_policy", "digest_cadence", "digest_time", "time_zone", "language")
    for name in needed:
        if name in changes and changes[name] is None:
            del changes[name]  # null for a field that needs a value: unchanged
    # The language is checked against LANGUAGES by set_policy's full_clean: a 422 naming it.
    return out(services.set_policy(recipient, **changes))
