"""Liveness and readiness for load balancers (no authentication), and the authenticated /metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu import Connection

from compliance_monitor.accounts import access
from compliance_monitor.accounts.roles import Role, require
from compliance_monitor.api import metrics
from compliance_monitor.api.auth import BearerToken
from compliance_monitor.jobs.models import Beacon, Execution, Status
from compliance_monitor.supervisor import STATE_FILE_NAME, read_state


def live(request: HttpRequest) -> JsonResponse:
    """The process answers: nothing more is checked (a restart would not fix a database outage)."""
    return JsonResponse({"status": "alive"})


Answer = dict[str, dict[str, Any]]
CACHE_SECONDS = 5.0  # how long a process reuses its answer about the database and the broker


class TimedCache:
    """One answer per process, recomputed at most every ``seconds`` (``clock`` is injectable for tests).

    Thread-safe: one thread recomputes while the others keep the last answer (or, before the first one,
    wait for it), so a flood of probes opens one broker connection, not one each.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._lock = threading.Lock()
        self._entry: tuple[float, Answer] | None = None  # (expires at, answer), replaced whole

    def get(self, compute: Callable[[], Answer]) -> Answer:
        entry = self._entry
        if entry and self.clock() < entry[0]:
            return entry[1]
        if entry and not self._lock.acquire(blocking=False):
            return entry[1]  # another thread is refreshing it: the last answer will do meanwhile
        if not entry:
            self._lock.acquire()  # the first answer: wait for whoever computes it
        try:
            entry = self._entry
            if entry is None or self.clock() >= entry[0]:
                entry = (self.clock() + self.seconds, compute())
                self._entry = entry
            return entry[1]
        finally:
            self._lock.release()


DEPENDENCIES = TimedCache(CACHE_SECONDS)


def ready(request: HttpRequest) -> JsonResponse:
    """Database and broker (a connection each) from a 5 s cache; the beacons' freshness read live (indexed)."""
    checks = DEPENDENCIES.get(lambda: {"database": _database(), "broker": _broker()})
    if checks["database"]["ok"]:
        checks = {**checks, "scheduler": _guarded(_scheduler), "run_workers": _guarded(_run_workers)}
    else:
        unknown = {"ok": False, "error": "database unavailable"}
        checks = {**checks, "scheduler": unknown, "run_workers": unknown}
    supervised = read_state(settings.DATA_DIR / STATE_FILE_NAME)
    if supervised is not None:  # manage.py serve: its processes, and how often each was restarted
        checks = {**checks, "processes": _processes(supervised)}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


def _processes(state: dict[str, Any]) -> dict[str, Any]:
    processes = {
        name: {"running": bool(p.get("running")), "restarts": int(p.get("restarts") or 0)}
        for name, p in state["processes"].items()
    }
    answer: dict[str, Any] = {"ok": all(p["running"] for p in processes.values()), "processes": processes}
    return answer | ({"error": str(state["failure"])} if state.get("failure") else {})


def _guarded(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 — the database went away since it was last seen: not ready
        return {"ok": False, "error": type(exc).__name__}


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
        return JsonResponse({"detail": _("authentication required: `Authorization: Bearer <token>`")}, status=401)
    try:
        require(request.user, Role.VIEWER)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    shown = access.visible_connections(request.user)
    return HttpResponse(metrics.exposition(shown), content_type="text/plain; version=0.0.4; charset=utf-8")
