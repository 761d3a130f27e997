"""/api/v1/executions — one run with its check results and violation diff; cancel; evidence."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from compliance_monitor.accounts.roles import Role
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import ExecutionDetailOut, ExecutionOut
from compliance_monitor.checks.models import Violation
from compliance_monitor.jobs import services
from compliance_monitor.jobs.models import Execution

router = Router(tags=["executions"])
EVIDENCE_COLUMNS = (
    "execution_id",
    "job",
    "check",
    "report_name",
    "warehouse",
    "result",
    "product_code",
    "product_name",
    "goods_group",
    "quantity",
    "unit",
    "change",
)


def execution_or_404(execution_id: uuid.UUID) -> Execution:
    # One query for the results' violations instead of one per result.
    executions = Execution.objects.select_related("job").prefetch_related("check_results__violations")
    return get_object_or_404(executions, pk=execution_id)


@router.get(
    "/{execution_id}",
    response={200: ExecutionDetailOut, **ERRORS},
    url_name="get_execution",
    summary="One run: timeline, results, violations (new / persisting), fixed",
)
def get_execution(request: HttpRequest, execution_id: uuid.UUID) -> Any:
    actor(request, Role.VIEWER)
    return execution_or_404(execution_id)


@router.post("/{execution_id}/cancel", response={200: ExecutionOut, **ERRORS}, summary="Cancel a queued or running run")
def cancel_execution(request: HttpRequest, execution_id: uuid.UUID) -> Any:
    by = actor(request, Role.OPERATOR)
    try:
        return services.cancel(execution_or_404(execution_id), by=by, now=timezone.now())
    except services.ExecutionFinishedError as exc:
        raise HttpError(409, str(exc)) from None


class EvidenceQuery(Schema):
    format: Literal["csv", "json"] = "csv"


@router.get("/{execution_id}/evidence", response={200: Any, **ERRORS}, summary="Every violation found, as CSV or JSON")
def evidence(request: HttpRequest, execution_id: uuid.UUID, query: Query[EvidenceQuery]) -> HttpResponseBase:
    actor(request, Role.VIEWER)
    execution = execution_or_404(execution_id)
    rows = evidence_rows(execution)
    filename = f"evidence-{execution.job.name}-{execution.pk}"
    if query.format == "json":
        response: HttpResponseBase = JsonResponse(
            {"violations": [dict(zip(EVIDENCE_COLUMNS, r, strict=True)) for r in rows]}
        )
    else:
        response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{query.format}"'
    return response


def evidence_rows(execution: Execution) -> Iterator[tuple[Any, ...]]:
    violations = (
        Violation.objects.filter(result__execution=execution)
        .select_related("result")
        .order_by("result__check_name", "warehouse", "product_code")
    )
    for v in violations.iterator(chunk_size=2000):
        result = v.result
        yield (
            str(execution.pk),
            execution.job.name,
            result.check_name,
            result.report_name,
            v.warehouse,
            result.status,
            v.product_code,
            v.product_name,
            v.goods_group,
            v.quantity,
            v.unit,
            v.change,
        )


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EVIDENCE_COLUMNS)
    for row in rows:
        yield writer.writerow(row)
