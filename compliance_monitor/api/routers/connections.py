"""/api/v1/connections — ERP connections: list, create, read, change, delete, test. The password is write-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import Body, ErrorOut
from compliance_monitor.erp import bookings, catalog, change_feed, connections, demo, probe
from compliance_monitor.erp.models import Connection

router = Router(tags=["connections"])
SLUG = r"^[-a-zA-Z0-9_]+$"


class FeedOut(Schema):
    """The connection's change feed (real-time re-checks from the ERP's change log); the hook secret is never sent."""

    mode: str = Field(..., description="off | poll (read changes.json every few seconds) | hook (the ERP POSTs)")
    cursor: int | None = Field(..., description="The last change log version processed.")
    global_version: int | None = Field(..., description="The ERP's latest version, as last seen.")
    lag_versions: int | None
    lag_seconds: float | None = Field(..., description="Seconds since the feed last had every change.")
    last_change_at: datetime | None
    last_change: dict[str, Any] | None
    changes_received: int
    warning: str = Field(..., description="Why the feed cannot read, e.g. the change log is not enabled.")
    last_error: str
    last_error_at: datetime | None


class ConnectionOut(Schema):
    name: str
    title: str
    is_demo: bool
    base_url: str
    company: str
    username: str
    has_password: bool = Field(..., description="Whether a password is stored; the password itself is never sent.")
    verify_tls: bool
    timeout_seconds: float
    page_size: int
    max_concurrent_requests: int = Field(
        ..., description="At most this many requests to this ERP at once, from the whole installation."
    )
    enabled: bool
    notes: str
    last_test_result: dict[str, Any] | None
    last_tested_at: datetime | None
    change_feed: FeedOut


class ConnectionPatch(Body):
    """Only the fields given change. ``password`` is write-only: given, it replaces the stored one ("" removes it)."""

    title: str | None = Field(None, max_length=200)
    base_url: str | None = Field(None, max_length=500)
    company: str | None = Field(None, min_length=1, max_length=100)
    username: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=500, json_schema_extra={"writeOnly": True})
    verify_tls: bool | None = None
    timeout_seconds: float | None = Field(None, ge=0.1, le=600)
    page_size: int | None = Field(None, ge=1, le=10_000)
    max_concurrent_requests: int | None = Field(None, ge=1, le=64)
    enabled: bool | None = None
    notes: str | None = Field(None, max_length=5000)
    change_feed: Literal["off", "poll", "hook"] | None = Field(None, description="Switch the change feed.")


class ConnectionIn(ConnectionPatch):
    name: str = Field(..., min_length=1, max_length=64, pattern=SLUG)
    base_url: str = Field(..., min_length=1, max_length=500)
    company: str = Field(..., min_length=1, max_length=100)


class StepOut(Schema):
    name: str
    ok: bool
    detail: str
    seconds: float


class ProbeOut(Schema):
    ok: bool
    steps: list[StepOut]


class CatalogEntryOut(Schema):
    id: str = Field(..., description='The Flexi record id ("" for product types).')
    code: str
    name: str


class CatalogOut(Schema):
    """What the connection's ERP holds, as last read; never read: empty lists and ``refreshed_at`` null."""

    warehouses: list[CatalogEntryOut]
    goods_groups: list[CatalogEntryOut]
    product_types: list[CatalogEntryOut]
    refreshed_at: datetime | None
    error: str = Field(..., description="Why the latest refresh failed (the lists stay as read before); blank if not.")
    error_at: datetime | None
    warnings: list[str] = Field(..., description='What the catalog lacks, e.g. "the ERP has no warehouses".')


def connection_or_404(request: HttpRequest, name: str) -> Connection:
    """A connection the user may see (another company's is a 404, as if it did not exist)."""
    return get_object_or_404(access.visible_connection_rows(request.user), name=name)


def out(connection: Connection) -> dict[str, Any]:
    data = {name: getattr(connection, name) for name in ConnectionOut.model_fields if name != "change_feed"}
    return data | {"change_feed": feed_out(change_feed.feed_view(connection))}


def feed_out(feed: Any) -> dict[str, Any]:
    now = timezone.now()
    data = {name: getattr(feed, name) for name in FeedOut.model_fields if not name.startswith("lag_")}
    return data | {"lag_versions": feed.lag_versions(), "lag_seconds": feed.lag_seconds(now)}


@router.get("", response={200: list[ConnectionOut], **ERRORS}, summary="All ERP connections")
def list_connections(request: HttpRequest) -> list[dict[str, Any]]:
    actor(request, Role.VIEWER)
    return [out(connection) for connection in access.visible_connection_rows(request.user)]


@router.post("", response={201: ConnectionOut, **ERRORS}, summary="Add an ERP connection")
def create_connection(request: HttpRequest, body: ConnectionIn) -> Status[dict[str, Any]]:
    actor(request, Role.ADMIN)
    fields = body.model_dump(exclude_none=True)
    mode = fields.pop("change_feed", None)
    try:
        connection = connections.create_connection(now=timezone.now(), **fields)
    except connections.ConnectionExistsError as exc:
        raise HttpError(409, str(exc)) from None
    if mode is not None:
        change_feed.set_mode(connection, mode, now=timezone.now())
    return Status(201, out(connection))


@router.get("/{name}", response={200: ConnectionOut, **ERRORS}, summary="One ERP connection")
def get_connection(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.VIEWER)
    return out(connection_or_404(request, name))


@router.patch("/{name}", response={200: ConnectionOut, **ERRORS}, summary="Change an ERP connection")
def update_connection(request: HttpRequest, name: str, body: ConnectionPatch) -> dict[str, Any]:
    actor(request, Role.ADMIN)
    connection = connection_or_404(request, name)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    mode = changes.pop("change_feed", None)
    connection = connections.update_connection(connection, now=timezone.now(), **changes) if changes else connection
    if mode is not None:
        change_feed.set_mode(connection, mode, now=timezone.now())
    return out(connection)


@router.delete("/{name}", response={204: None, **ERRORS}, summary="Remove an ERP connection")
def delete_connection(request: HttpRequest, name: str) -> Status[None]:
    actor(request, Role.ADMIN)
    try:
        connections.delete_connection(connection_or_404(request, name))
    except connections.ConnectionInUseError as exc:
        raise HttpError(409, str(exc)) from None
    return Status(204, None)


@router.post("/{name}/test", response={200: ProbeOut, **ERRORS}, summary="Test a connection step by step")
def test_connection(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.OPERATOR)
    return probe.test_connection(connection_or_404(request, name), now=timezone.now()).as_json()


test_connection.__test__ = False  # type: ignore[attr-defined]  # a view, not a pytest test


@router.get("/{name}/catalog", response={200: CatalogOut, **ERRORS}, summary="What the connection's ERP holds")
def get_catalog(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.VIEWER)
    return catalog.as_json(catalog.catalog_of(connection_or_404(request, name)))


@router.post(
    "/{name}/catalog/refresh",
    response={200: CatalogOut, **ERRORS, 502: ErrorOut},
    summary="Read the catalog from the ERP again (502 when the ERP cannot be read)",
)
def refresh_catalog(request: HttpRequest, name: str) -> dict[str, Any]:
    actor(request, Role.OPERATOR)
    try:
        return catalog.as_json(catalog.refresh(connection_or_404(request, name), now=timezone.now()))
    except catalog.CatalogRefreshError as exc:
        raise HttpError(502, exc.message) from None


class BookingLineIn(Body):
    product: str = Field(..., min_length=1, max_length=20, description="A product code of the demo, e.g. MAT00001")
    quantity: float = Field(..., ge=-1e6, le=1e6)


class BookingIn(Body):
    warehouse: str = Field(..., min_length=1, max_length=64, description="A demo warehouse code, e.g. ZBOZI")
    lines: list[BookingLineIn] = Field(..., min_length=1, max_length=50)


class BookingOut(Schema):
    document: str
    version: int = Field(..., description="The change log version of the stock document.")


@router.post(
    "/{name}/bookings", response={201: BookingOut, **ERRORS}, summary="Demo scenario: book stock into a demo warehouse"
)
def book_demo_stock(request: HttpRequest, name: str, body: BookingIn) -> Status[dict[str, Any]]:
    actor(request, Role.OPERATOR)
    connection = connection_or_404(request, name)
    if not connection.is_demo:
        raise HttpError(422, _("only the built-in demo company takes bookings from here; book in the ERP itself"))
    lines = [(line.product.strip().upper(), line.quantity) for line in body.lines]
    try:
        booking = demo.book(body.warehouse, lines, user=request.user.get_username(), now=timezone.now())
    except bookings.BookingError as exc:
        raise HttpError(422, str(exc)) from None
    return Status(201, {"document": booking.code, "version": booking.version})
