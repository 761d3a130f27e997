"""/api/v1/health — the health summary (the seed's HealthCheckDto)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Router

from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import HealthOut
from compliance_monitor.jobs import stats

router = Router(tags=["health"])


@router.get("", response={200: HealthOut, **ERRORS}, summary="Jobs' health at a glance")
def health(request: HttpRequest) -> JsonResponse:
    actor(request, Role.VIEWER)
    # Serialized directly (same shape as HealthOut): validating 1,000 job lines through pydantic tripled the cost.
    summary = stats.health(now=timezone.now())
    return JsonResponse(
        {**{k: v for k, v in vars(summary).items() if k != "jobs"}, "jobs": [vars(job) for job in summary.jobs]}
    )
