"""Test a connection step by step, saying in plain words which step failed and why; the result is stored.

Steps: reachable (DNS, TCP, TLS), the answer is Flexi JSON, credentials (401), licence or rights (402/403),
the company exists (``/c.json``), answer time, warehouses (``sklad``), goods groups (``skupina-zbozi``).
The first failed step ends the test. The password never appears in a step, a log line or an error.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from compliance_monitor.erp import synthetic
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
HTML_PAGE = "the server answered with an HTML page instead of JSON — a login form or a proxy's page"
SLOW_ANSWER_SECONDS = 5.0


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    steps: list[Step]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [dataclasses.asdict(step) for step in self.steps]}


class StepFailed(Exception):
    def __init__(self, step: Step) -> None:
        super().__init__(step.detail)
        self.step = step


def test_connection(
    connection: Connection, *, now: datetime, transport: httpx.BaseTransport | None = None
) -> ProbeResult:
    """Run every step (the demo answers from its synthetic company) and store the result on the connection."""
    steps: list[Step] = []
    try:
        for step in _demo_steps() if connection.is_demo else _server_steps(connection, transport):
            steps.append(step)  # one by one: the steps before a failed one are kept
    except StepFailed as failed:
        steps.append(failed.step)
    result = ProbeResult(ok=all(step.ok for step in steps), steps=steps)
    connection.last_test_result, connection.last_tested_at = result.as_json(), now
    connection.save(update_fields=["last_test_result", "last_tested_at"])
    log.info("erp_connection_tested", connection=connection.name, ok=result.ok, failed=_failed_step(result))
    return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever its name


def _failed_step(result: ProbeResult) -> str | None:
    return next((step.name for step in result.steps if not step.ok), None)


def _demo_steps() -> Iterable[Step]:
    company = synthetic.Company.demo()
    return [
        Step("reachable", True, "built-in demo company: answered in-process, no network"),
        Step("credentials", True, "built-in demo company: none needed"),
        Step("company", True, f"company {company.code!r}: the built-in demo company"),
        Step("warehouses", True, f"{len(company.warehouses)} warehouses (sklad) in the built-in demo company"),
        Step(
            "goods_groups", True, f"{len(synthetic.GROUPS)} goods groups (skupina-zbozi) in the built-in demo company"
        ),
    ]


def _server_steps(connection: Connection, transport: httpx.BaseTransport | None) -> Iterator[Step]:
    """Steps in order; a failed one raises :class:`StepFailed` (the caller keeps those yielded before it)."""
    yield reachable(connection) if transport is None else Step("reachable", True, "through the given transport")
    with _client(connection, transport) as client:
        response, seconds = _get(client, "/c.json", connection)
        yield from _answer_steps(connection, response, seconds)
        company = f"/c/{connection.company}"
        yield _count(client, connection, f"{company}/sklad.json", "warehouses", "warehouses (sklad)")
        yield _count(
            client, connection, f"{company}/skupina-zbozi.json", "goods_groups", "goods groups (skupina-zbozi)"
        )


def reachable(connection: Connection) -> Step:
    """DNS, TCP and (for https) TLS, each failure in its own words."""
    url = urlsplit(connection.base_url)
    host, timeout = url.hostname or "", connection.timeout_seconds
    port = url.port or (443 if url.scheme == "https" else 80)
    started = time.monotonic()

    def failed(detail: str) -> StepFailed:
        return StepFailed(Step("reachable", False, detail, _since(started)))

    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
    except (socket.gaierror, UnicodeError):
        raise failed(f"the name {host!r} does not resolve (DNS): check the host name in the URL") from None
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            tls = _tls(raw, host, connection.verify_tls) if url.scheme == "https" else ""
    except ConnectionRefusedError:
        raise failed(f"connection refused at {host}:{port}: is the server running, is the port right?") from None
    except TimeoutError:
        raise failed(
            f"timed out after {timeout:g} s connecting to {host}:{port} (a firewall, or the wrong host?)"
        ) from None
    except ssl.SSLCertVerificationError as exc:
        detail = exc.verify_message or exc.reason or "not trusted"
        raise failed(f"the TLS certificate of {host} is not accepted: {detail}") from None
    except ssl.SSLError as exc:
        raise failed(
            f"TLS handshake with {host}:{port} failed ({exc.reason or 'no reason given'}): is it https?"
        ) from None
    except OSError as exc:
        raise failed(f"cannot connect to {host}:{port}: {exc.strerror or type(exc).__name__}") from None
    return Step("reachable", True, f"{host} resolves to {address}; TCP port {port} open{tls}", _since(started))


def _tls(raw: socket.socket, host: str, verify: bool) -> str:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with context.wrap_socket(raw, server_hostname=host) as secured:
        checked = "certificate verified" if verify else "certificate NOT verified (TLS verification off)"
        return f"; TLS {secured.version()}, {checked}"


def _client(connection: Connection, transport: httpx.BaseTransport | None) -> httpx.Client:
    return httpx.Client(
        base_url=connection.base_url.rstrip("/"),
        auth=httpx.BasicAuth(connection.username, connection.password),
        verify=connection.verify_tls,
        timeout=connection.timeout_seconds,
        follow_redirects=True,
        transport=transport,
    )


def _get(client: httpx.Client, path: str, connection: Connection) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    try:
        response = client.get(path, params={"auth": "http", "limit": "1", "add-row-count": "true", "detail": "id"})
    except httpx.TimeoutException:
        raise StepFailed(
            Step("answer", False, f"no answer to {path} within {connection.timeout_seconds:g} s")
        ) from None
    except httpx.HTTPError as exc:
        raise StepFailed(Step("answer", False, f"the request for {path} failed ({type(exc).__name__})")) from None
    return response, _since(started)


def _answer_steps(connection: Connection, response: httpx.Response, seconds: float) -> Iterator[Step]:
    body = _json_or_fail(response, "api", seconds)
    status, user = response.status_code, connection.username
    yield Step("api", True, "the server answers in JSON", seconds)
    if status == 401:
        raise StepFailed(Step("credentials", False, f"wrong user name or password (HTTP 401) for user {user!r}"))
    yield Step("credentials", True, f"user {user!r} accepted")
    if status in (402, 403):
        what = "no licence for the REST API" if status == 402 else "no rights to read"
        raise StepFailed(Step("licence", False, f"user {user!r}: {what} (HTTP {status}): {_message(body)}"))
    yield Step("licence", True, "licence and rights allow reading")
    if status >= 400:
        raise StepFailed(Step("company", False, f"the server answered HTTP {status}: {_message(body)}"))
    yield _company(connection.company, _companies(body))
    yield _answer_time(seconds)


def _json_or_fail(response: httpx.Response, step: str, seconds: float) -> Any:
    text = response.content.lstrip()[:200].decode("utf-8", "replace")
    if "html" in response.headers.get("Content-Type", "") or text.lower().startswith(("<!doctype", "<html")):
        raise StepFailed(Step(step, False, HTML_PAGE, seconds))
    try:
        return json.loads(response.content)
    except ValueError:
        detail = f"the server answered HTTP {response.status_code} with something that is not JSON: {text[:80]!r}"
        raise StepFailed(Step(step, False, detail, seconds)) from None


def _companies(body: Any) -> list[str]:
    """``/c.json``: our server's ``winstrom.companies`` list, or the ``companies.company`` list (or one object)."""
    found = body.get("winstrom", body) if isinstance(body, dict) else {}
    found = found.get("companies", []) if isinstance(found, dict) else []
    if isinstance(found, dict):
        found = found.get("company", [])
    rows = [found] if isinstance(found, dict) else found if isinstance(found, list) else []
    return [str(row.get("dbNazev")) for row in rows if isinstance(row, dict) and row.get("dbNazev")]


def _company(code: str, known: list[str]) -> Step:
    if code in known:
        return Step("company", True, f"company {code!r} exists")
    listed = ", ".join(known[:10]) + (" …" if len(known) > 10 else "") if known else "none listed"
    raise StepFailed(Step("company", False, f"company {code!r} does not exist on this server (it has: {listed})"))


def _answer_time(seconds: float) -> Step:
    slow = " — slow: runs will take long" if seconds > SLOW_ANSWER_SECONDS else ""
    return Step("answer_time", True, f"the server answered in {seconds:.3f} s{slow}", seconds)


def _count(client: httpx.Client, connection: Connection, path: str, name: str, what: str) -> Step:
    response, seconds = _get(client, path, connection)
    body = _json_or_fail(response, name, seconds)
    if response.status_code >= 400:
        detail = f"cannot read {what}: HTTP {response.status_code}: {_message(body)}"
        raise StepFailed(Step(name, False, detail, seconds))
    total = _row_count(body)
    if total is None:
        raise StepFailed(Step(name, False, f"the server did not say how many {what} there are (@rowCount)", seconds))
    if total == 0:
        raise StepFailed(Step(name, False, f"the company has no {what}: nothing to check", seconds))
    return Step(name, True, f"{total} {what}", seconds)


def _row_count(body: Any) -> int | None:
    raw = body.get("winstrom", {}).get("@rowCount") if isinstance(body, dict) else None
    return int(str(raw)) if str(raw).isdigit() else None


def _message(body: Any) -> str:
    winstrom = body.get("winstrom", {}) if isinstance(body, dict) else {}
    message = winstrom.get("message") if isinstance(winstrom, dict) else None
    return str(message)[:200] if message else "no message"


def _since(started: float, clock: Callable[[], float] = time.monotonic) -> float:
    return round(clock() - started, 4)
