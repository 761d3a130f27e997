"""/api/v1/health — the health summary (the seed's HealthCheckDto)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from compliance_monitor.api.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import HealthOut
from compliance_monitor.jobs import stats

router = Router(tags=["health"])


@router.get("", response={200: HealthOut, **ERRORS}, summary="Jobs' health at a glance")
def health(request: HttpRequest) -> Any:
    actor(request, Role.VIEWER)
    return stats.health(now=timezone.now())
