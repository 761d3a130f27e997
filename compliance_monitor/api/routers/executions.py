"""/api/v1/executions — one run with its check results, violation diff and alerts; cancel; evidence.

Every read here is bounded: the detail lists the first violations of each result (the rest page through
``/results/{id}/violations``), and the evidence streams from the database to the client. A user limited to some
companies reaches only the runs of their jobs: another company's run is a 404 (``accounts/access.py``).
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from compliance_monitor.accounts.access import visible_executions, within
from compliance_monitor.accounts.roles import Role
from compliance_monitor.alerts import run_alerts
from compliance_monitor.api.routers.common import ERRORS, actor
from compliance_monitor.api.schemas import (
    VIOLATIONS_PER_RESULT,
    ExecutionDetailOut,
    ExecutionOut,
    ViolationPageOut,
)
from compliance_monitor.checks.models import CheckResult, Violation
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
VIOLATION_ORDER = ("product_code", "pk")
STREAM_BATCH = 500  # rows per chunk written to the client
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula (OWASP CSV injection)


class StreamingJsonResponse(StreamingHttpResponse):
    """Streamed like any other, yet readable whole by callers that ask for ``text`` (the test client's
    ``json()``): reading it consumes the stream, so nothing on the serving path does."""

    @property
    def text(self) -> str:  # type: ignore[override]  # the base refuses it (raises)
        return b"".join(self.streaming_content).decode(self.charset)  # type: ignore[arg-type]


def execution_or_404(request: HttpRequest, execution_id: uuid.UUID) -> Execution:
    return get_object_or_404(visible_executions(request.user).select_related("job"), pk=execution_id)


def execution_detail(request: HttpRequest, execution_id: uuid.UUID) -> Execution:
    """The run, its results each with its first violations (one query for all), and its alerts once reviewed."""
    first = Violation.objects.defer("detail").order_by(*VIOLATION_ORDER)[:VIOLATIONS_PER_RESULT]
    results = CheckResult.objects.order_by("check_name", "warehouse").prefetch_related(
        Prefetch("violations", queryset=first, to_attr="first_violations")
    )
    execution = get_object_or_404(
        visible_executions(request.user)
        .select_related("job")
        .prefetch_related(Prefetch("check_results", queryset=results)),
        pk=execution_id,
    )
    reviewed = execution.alerts_reviewed_at is not None
    execution.run_alerts = run_alerts.of_run(execution.pk) if reviewed else None  # type: ignore[attr-defined]
    return execution


@router.get(
    "/{execution_id}",
    response={200: ExecutionDetailOut, **ERRORS},
    url_name="get_execution",
    summary="One run: timeline, results with their first violations (new / persisting), fixed, its alerts",
)
def get_execution(request: HttpRequest, execution_id: uuid.UUID) -> Any:
    actor(request, Role.VIEWER)
    return execution_detail(request, execution_id)


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(VIOLATIONS_PER_RESULT, ge=1, le=1000)


@router.get(
    "/{execution_id}/results/{result_id}/violations",
    response={200: ViolationPageOut, **ERRORS},
    url_name="result_violations",
    summary="Every violation of one result, page by page",
)
def result_violations(request: HttpRequest, execution_id: uuid.UUID, result_id: int, query: Query[PageQuery]) -> Any:
    actor(request, Role.VIEWER)
    results = within(request.user, CheckResult.objects.all(), "execution__job__connection__name")
    result = get_object_or_404(results, pk=result_id, execution_id=execution_id)
    start = (query.page - 1) * query.page_size
    items = list(result.violations.defer("detail").order_by(*VIOLATION_ORDER)[start : start + query.page_size])
    more = start + len(items) < result.violation_count
    path = request.path
    return {
        "count": result.violation_count,
        "page": query.page,
        "page_size": query.page_size,
        "items": items,
        "next": f"{path}?page={query.page + 1}&page_size={query.page_size}" if more else None,
    }


@router.post("/{execution_id}/cancel", response={200: ExecutionOut, **ERRORS}, summary="Cancel a queued or running run")
def cancel_execution(request: HttpRequest, execution_id: uuid.UUID) -> Any:
    by = actor(request, Role.OPERATOR)
    try:
        return services.cancel(execution_or_404(request, execution_id), by=by, now=timezone.now())
    except services.ExecutionFinishedError as exc:
        raise HttpError(409, str(exc)) from None


class EvidenceQuery(Schema):
    format: Literal["csv", "json"] = "csv"


@router.get("/{execution_id}/evidence", response={200: Any, **ERRORS}, summary="Every violation found, as CSV or JSON")
def evidence(request: HttpRequest, execution_id: uuid.UUID, query: Query[EvidenceQuery]) -> HttpResponseBase:
    actor(request, Role.VIEWER)
    execution = execution_or_404(request, execution_id)
    rows = evidence_rows(execution)
    if query.format == "json":
        response: StreamingHttpResponse = StreamingJsonResponse(json_chunks(rows), content_type="application/json")
    else:
        response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    filename = f"evidence-{execution.job.name}-{execution.pk}.{query.format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def evidence_rows(execution: Execution) -> Iterator[tuple[Any, ...]]:
    violations = (
        Violation.objects.filter(result__execution=execution)
        .select_related("result")
        .defer("detail", "result__fixed", "result__message")
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


def batches(lines: Iterable[str], size: int = STREAM_BATCH) -> Iterator[str]:
    """A few hundred lines per chunk: one write per row would cost more than the row."""
    lines = iter(lines)
    while chunk := "".join(islice(lines, size)):
        yield chunk


def json_chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    """``{"violations": [...]}`` written row by row: valid JSON however many rows, never all in memory."""
    yield '{"violations": ['
    encode = DjangoJSONEncoder().encode
    items = (
        ("," if index else "") + encode(dict(zip(EVIDENCE_COLUMNS, row, strict=True))) for index, row in enumerate(rows)
    )
    yield from batches(items)
    yield "]}"


def neutralised(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading quote; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


class _Line:
    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EVIDENCE_COLUMNS)
    yield from batches(writer.writerow([neutralised(cell) for cell in row]) for row in rows)
