"""Test a connection step by step, saying in plain words which step failed and why; the result is stored.

Steps: reachable (DNS, TCP, TLS), the answer is Flexi JSON, credentials (401), licence or rights (402/403),
the company exists (``/c.json``), answer time, warehouses (``sklad``), goods groups (``skupina-zbozi``).
The first failed step ends the test. The password never appears in a step, a log line or an error.

Each step's detail is said in plain words in the active language (``gettext``: the API answers in the request's
language); the stored result keeps, beside the detail, which message it was (``message``) and its values
(``params``), so a page shows a stored step in its reader's language (:func:`shown_steps`).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from compliance_monitor.erp import synthetic
from compliance_monitor.erp.models import Connection

log = structlog.get_logger(__name__)
HTML_PAGE = "the server answered with an HTML page instead of JSON — a login form or a proxy's page"
SLOW_ANSWER_SECONDS = 5.0

Params = Mapping[str, Any]


def _tls_text(p: Params) -> str:
    if not p.get("tls_version"):
        return ""
    if p.get("verified"):
        return _("; TLS %(version)s, certificate verified") % {"version": p["tls_version"]}
    return _("; TLS %(version)s, certificate NOT verified (TLS verification off)") % {"version": p["tls_version"]}


def _with_message(p: Params) -> Params:
    """``p`` with the server's message, or words saying it gave none."""
    return {**p, "message": p.get("message") or _("no message")}


def _answered(p: Params) -> str:
    text = _("the server answered in %(seconds)s s") % p
    return text + _(" — slow: runs will take long") if p.get("slow") else text


# Every detail a step can have, by message key: said in the active language when called.
MESSAGES: dict[str, Callable[[Params], str]] = {
    "demo_reachable": lambda p: _("built-in demo company: answered in-process, no network"),
    "demo_credentials": lambda p: _("built-in demo company: none needed"),
    "demo_company": lambda p: _("company %(company)s: the built-in demo company") % p,
    "demo_warehouses": lambda p: (
        ngettext(
            "%(count)s warehouse (sklad) in the built-in demo company",
            "%(count)s warehouses (sklad) in the built-in demo company",
            p["count"],
        )
        % p
    ),
    "demo_goods_groups": lambda p: (
        ngettext(
            "%(count)s goods group (skupina-zbozi) in the built-in demo company",
            "%(count)s goods groups (skupina-zbozi) in the built-in demo company",
            p["count"],
        )
        % p
    ),
    "transport": lambda p: _("through the given transport"),
    "dns": lambda p: _("the name %(host)s does not resolve (DNS): check the host name in the URL") % p,
    "refused": lambda p: _("connection refused at %(host)s:%(port)s: is the server running, is the port right?") % p,
    "connect_timeout": lambda p: (
        _("timed out after %(timeout)s s connecting to %(host)s:%(port)s (a firewall, or the wrong host?)") % p
    ),
    "certificate": lambda p: (
        _("the TLS certificate of %(host)s is not accepted: %(reason)s")
        % {**p, "reason": p.get("reason") or _("not trusted")}
    ),
    "handshake": lambda p: (
        _("TLS handshake with %(host)s:%(port)s failed (%(reason)s): is it https?")
        % {**p, "reason": p.get("reason") or _("no reason given")}
    ),
    "cannot_connect": lambda p: _("cannot connect to %(host)s:%(port)s: %(error)s") % p,
    "reachable": lambda p: _("%(host)s resolves to %(address)s; TCP port %(port)s open") % p + _tls_text(p),
    "no_answer": lambda p: _("no answer to %(path)s within %(timeout)s s") % p,
    "request_failed": lambda p: _("the request for %(path)s failed (%(error)s)") % p,
    "html_page": lambda p: _("the server answered with an HTML page instead of JSON — a login form or a proxy's page"),
    "not_json": lambda p: _("the server answered HTTP %(status)s with something that is not JSON: %(text)s") % p,
    "json": lambda p: _("the server answers in JSON"),
    "wrong_password": lambda p: _("wrong user name or password (HTTP 401) for user %(user)s") % p,
    "user_accepted": lambda p: _("user %(user)s accepted") % p,
    "no_licence": lambda p: (
        _("user %(user)s: no licence for the REST API (HTTP %(status)s): %(message)s") % _with_message(p)
    ),
    "no_rights": lambda p: _("user %(user)s: no rights to read (HTTP %(status)s): %(message)s") % _with_message(p),
    "licence_ok": lambda p: _("licence and rights allow reading"),
    "http_error": lambda p: _("the server answered HTTP %(status)s: %(message)s") % _with_message(p),
    "company_exists": lambda p: _("company %(company)s exists") % p,
    "company_missing": lambda p: (
        _("company %(company)s does not exist on this server (it has: %(listed)s)")
        % {**p, "listed": p.get("listed") or _("none listed")}
    ),
    "answer_time": _answered,
    "warehouses": lambda p: ngettext("%(count)s warehouse (sklad)", "%(count)s warehouses (sklad)", p["count"]) % p,
    "goods_groups": lambda p: (
        ngettext("%(count)s goods group (skupina-zbozi)", "%(count)s goods groups (skupina-zbozi)", p["count"]) % p
    ),
    "warehouses_unreadable": lambda p: (
        _("cannot read warehouses (sklad): HTTP %(status)s: %(message)s") % _with_message(p)
    ),
    "goods_groups_unreadable": lambda p: (
        _("cannot read goods groups (skupina-zbozi): HTTP %(status)s: %(message)s") % _with_message(p)
    ),
    "warehouses_uncounted": lambda p: _("the server did not say how many warehouses (sklad) there are (@rowCount)"),
    "goods_groups_uncounted": lambda p: _(
        "the server did not say how many goods groups (skupina-zbozi) there are (@rowCount)"
    ),
    "warehouses_none": lambda p: _("the company has no warehouses (sklad): nothing to check"),
    "goods_groups_none": lambda p: _("the company has no goods groups (skupina-zbozi): nothing to check"),
}

# The steps' names (identifiers in the API and the stored result) as a page shows them.
STEP_NAMES: dict[str, Promise] = {
    "reachable": pgettext_lazy("connection test step", "reachable"),
    "api": pgettext_lazy("connection test step", "api"),
    "answer": pgettext_lazy("connection test step", "answer"),
    "credentials": pgettext_lazy("connection test step", "credentials"),
    "licence": pgettext_lazy("connection test step", "licence"),
    "company": pgettext_lazy("connection test step", "company"),
    "answer_time": pgettext_lazy("connection test step", "answer_time"),
    "warehouses": pgettext_lazy("connection test step", "warehouses"),
    "goods_groups": pgettext_lazy("connection test step", "goods_groups"),
}


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    seconds: float = 0.0
    message: str = ""  # which of MESSAGES the detail says ("": a detail said otherwise)
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def said(cls, name: str, ok: bool, message: str, seconds: float = 0.0, /, **params: Any) -> Step:
        """A step whose detail is ``MESSAGES[message]`` with ``params``, in the active language."""
        return cls(name, ok, MESSAGES[message](params), seconds, message, params)


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    steps: list[Step]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [dataclasses.asdict(step) for step in self.steps]}


@dataclass(frozen=True)
class ShownStep:
    name: str  # the identifier
    label: str  # the name in the active language
    ok: bool
    detail: str
    seconds: float


def shown_steps(result: Mapping[str, Any] | None) -> list[ShownStep]:
    """A stored result's steps in the active language; a detail stored without its message is shown as stored."""
    steps = (result or {}).get("steps") or []
    return [_shown(step) for step in steps if isinstance(step, Mapping)]


def _shown(step: Mapping[str, Any]) -> ShownStep:
    name = str(step.get("name", ""))
    return ShownStep(
        name, str(STEP_NAMES.get(name, name)), bool(step.get("ok")), detail_of(step), float(step.get("seconds") or 0)
    )


def detail_of(step: Mapping[str, Any]) -> str:
    """A stored step's detail in the active language (as stored when its message is unknown)."""
    say, params = MESSAGES.get(str(step.get("message") or "")), step.get("params")
    if say is not None and isinstance(params, Mapping):
        try:
            return say(params)
        except (KeyError, TypeError, ValueError):
            pass
    return str(step.get("detail", ""))


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
        Step.said("reachable", True, "demo_reachable"),
        Step.said("credentials", True, "demo_credentials"),
        Step.said("company", True, "demo_company", company=repr(company.code)),
        Step.said("warehouses", True, "demo_warehouses", count=len(company.warehouses)),
        Step.said("goods_groups", True, "demo_goods_groups", count=len(synthetic.GROUPS)),
    ]


def _server_steps(connection: Connection, transport: httpx.BaseTransport | None) -> Iterator[Step]:
    """Steps in order; a failed one raises :class:`StepFailed` (the caller keeps those yielded before it)."""
    yield reachable(connection) if transport is None else Step.said("reachable", True, "transport")
    with _client(connection, transport) as client:
        response, seconds = _get(client, "/c.json", connection)
        yield from _answer_steps(connection, response, seconds)
        company = f"/c/{connection.company}"
        yield _count(client, connection, f"{company}/sklad.json", "warehouses")
        yield _count(client, connection, f"{company}/skupina-zbozi.json", "goods_groups")


def reachable(connection: Connection) -> Step:
    """DNS, TCP and (for https) TLS, each failure in its own words."""
    url = urlsplit(connection.base_url)
    host, timeout = url.hostname or "", connection.timeout_seconds
    port = url.port or (443 if url.scheme == "https" else 80)
    started = time.monotonic()

    def failed(message: str, /, **params: Any) -> StepFailed:
        values = {"host": host, "port": port, **params}
        return StepFailed(Step.said("reachable", False, message, _since(started), **values))

    try:
        address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][4][0]
    except (socket.gaierror, UnicodeError):
        raise failed("dns", host=repr(host)) from None
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            tls = _tls(raw, host, connection.verify_tls) if url.scheme == "https" else {}
    except ConnectionRefusedError:
        raise failed("refused") from None
    except TimeoutError:
        raise failed("connect_timeout", timeout=f"{timeout:g}") from None
    except ssl.SSLCertVerificationError as exc:
        raise failed("certificate", reason=exc.verify_message or exc.reason or "") from None
    except ssl.SSLError as exc:
        raise failed("handshake", reason=exc.reason or "") from None
    except OSError as exc:
        raise failed("cannot_connect", error=exc.strerror or type(exc).__name__) from None
    return Step.said("reachable", True, "reachable", _since(started), host=host, address=address, port=port, **tls)


def _tls(raw: socket.socket, host: str, verify: bool) -> dict[str, Any]:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with context.wrap_socket(raw, server_hostname=host) as secured:
        return {"tls_version": secured.version() or "?", "verified": verify}


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
        timeout = f"{connection.timeout_seconds:g}"
        raise StepFailed(Step.said("answer", False, "no_answer", path=path, timeout=timeout)) from None
    except httpx.HTTPError as exc:
        raise StepFailed(Step.said("answer", False, "request_failed", path=path, error=type(exc).__name__)) from None
    return response, _since(started)


def _answer_steps(connection: Connection, response: httpx.Response, seconds: float) -> Iterator[Step]:
    body = _json_or_fail(response, "api", seconds)
    status, user = response.status_code, repr(connection.username)
    yield Step.said("api", True, "json", seconds)
    if status == 401:
        raise StepFailed(Step.said("credentials", False, "wrong_password", user=user))
    yield Step.said("credentials", True, "user_accepted", user=user)
    if status in (402, 403):
        what = "no_licence" if status == 402 else "no_rights"
        raise StepFailed(Step.said("licence", False, what, user=user, status=status, message=_message(body)))
    yield Step.said("licence", True, "licence_ok")
    if status >= 400:
        raise StepFailed(Step.said("company", False, "http_error", status=status, message=_message(body)))
    yield _company(connection.company, _companies(body))
    yield _answer_time(seconds)


def _json_or_fail(response: httpx.Response, step: str, seconds: float) -> Any:
    text = response.content.lstrip()[:200].decode("utf-8", "replace")
    if "html" in response.headers.get("Content-Type", "") or text.lower().startswith(("<!doctype", "<html")):
        raise StepFailed(Step.said(step, False, "html_page", seconds))
    try:
        return json.loads(response.content)
    except ValueError:
        status, shown = response.status_code, repr(text[:80])
        raise StepFailed(Step.said(step, False, "not_json", seconds, status=status, text=shown)) from None


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
        return Step.said("company", True, "company_exists", company=repr(code))
    listed = ", ".join(known[:10]) + (" …" if len(known) > 10 else "") if known else ""
    raise StepFailed(Step.said("company", False, "company_missing", company=repr(code), listed=listed))


def _answer_time(seconds: float) -> Step:
    shown = f"{seconds:.3f}"
    return Step.said("answer_time", True, "answer_time", seconds, seconds=shown, slow=seconds > SLOW_ANSWER_SECONDS)


def _count(client: httpx.Client, connection: Connection, path: str, name: str) -> Step:
    """``name``: warehouses or goods_groups — the step, and its messages' keys."""
    response, seconds = _get(client, path, connection)
    body = _json_or_fail(response, name, seconds)
    if response.status_code >= 400:
        status, message = response.status_code, _message(body)
        raise StepFailed(Step.said(name, False, f"{name}_unreadable", seconds, status=status, message=message))
    total = _row_count(body)
    if total is None:
        raise StepFailed(Step.said(name, False, f"{name}_uncounted", seconds))
    if total == 0:
        raise StepFailed(Step.said(name, False, f"{name}_none", seconds))
    return Step.said(name, True, name, seconds, count=total)


def _row_count(body: Any) -> int | None:
    raw = body.get("winstrom", {}).get("@rowCount") if isinstance(body, dict) else None
    return int(str(raw)) if str(raw).isdigit() else None


def _message(body: Any) -> str:
    """The ERP's own message ("" for none: the step says "no message" in its reader's language)."""
    winstrom = body.get("winstrom", {}) if isinstance(body, dict) else {}
    message = winstrom.get("message") if isinstance(winstrom, dict) else None
    return str(message)[:200] if message else ""


def _since(started: float, clock: Callable[[], float] = time.monotonic) -> float:
    return round(clock() - started, 4)
