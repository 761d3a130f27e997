"""/api/v1/executions — one run with its check results and violation diff."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from compliance_monitor.api.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import ExecutionDetailOut
from compliance_monitor.jobs.models import Execution

router = Router(tags=["executions"])


@router.get(
    "/{execution_id}",
    response={200: ExecutionDetailOut, **ERRORS},
    url_name="get_execution",
    summary="One run: timeline, results, violations (new / persisting), fixed",
)
def get_execution(request: HttpRequest, execution_id: uuid.UUID) -> Any:
    actor(request, Role.VIEWER)
    execution = get_object_or_404(Execution.objects.select_related("job"), pk=execution_id)
    return execution
