"""Liveness and readiness for load balancers (no authentication), and the authenticated /metrics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from kombu import Connection

from compliance_monitor.accounts.roles import Role, require
from compliance_monitor.api import metrics
from compliance_monitor.api.auth import BearerToken
from compliance_monitor.jobs.models import Beacon, Execution, Status


def live(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing more is checked (a restart would not fix a database outage)."""
    return JsonResponse({"status": "alive"})


def ready(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "broker": _broker(), "scheduler": _scheduler(), "run_workers": _run_workers()}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 — any database error means not ready
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _broker() -> dict[str, Any]:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport=getattr(settings, "CELERY_BROKER_TRANSPORT", None),
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as broker:
            broker.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 — the error's type only: its text may carry the broker URL
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _scheduler() -> dict[str, Any]:
    """A sweep ran recently: beat sent it and a control worker ran it."""
    beacon = Beacon.objects.filter(name="sweep").first()
    seen = beacon.seen_at if beacon else None
    return {"ok": bool(seen and timezone.now() - seen <= _fresh()), "last_sweep_at": seen.isoformat() if seen else None}


def _run_workers() -> dict[str, Any]:
    """A run worker answered the sweep's ping recently, or a run is heartbeating (busy workers count)."""
    since = timezone.now() - _fresh()
    pinged = Beacon.objects.filter(name="runs", seen_at__gte=since).exists()
    busy = Execution.objects.filter(status=Status.RUNNING, heartbeat_at__gte=since).exists()
    return {"ok": pinged or busy}


def _fresh() -> timedelta:
    return timedelta(seconds=max(60.0, 4 * settings.CM_SWEEP_SECONDS))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus scrapes with `authorization: {credentials: <token>}`; a logged-in viewer may look too."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        BearerToken().authenticate(request, header.removeprefix("Bearer ").strip())
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "authentication required: `Authorization: Bearer <token>`"}, status=401)
    try:
        require(request.user, Role.VIEWER)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
