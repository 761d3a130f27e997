"""Who sees and acts on what — shared by the API and the dashboard so both refuse alike.

Roles: anyone with a role sees every alert; a warehouse's manager (an active notification recipient for it)
sees and acts on that warehouse's alerts even without a role — a recipient with a connection manages its codes in
that company only, one without in every company. Acting otherwise needs the operator role.

Companies: a user with :class:`~compliance_monitor.accounts.models.ConnectionAccess` rows is *limited* to those
connections; whatever their role, they see and act only there (no rows, or a superuser: every connection).

* Another company's job, run, alert or connection is a 404 for a limited user, as if it did not exist: its name
  never leaks (``require_connection`` and the ``visible_*`` querysets behind every ``…_or_404``).
* Alerts of no connection (installation-wide: ``Alert.connection == ""``) are seen by unlimited users only.
* What spans every company — the configuration audit, cleaning up old alerts — is refused to a limited user with a
  403 (``require_every_connection``): it cannot be narrowed without guessing which company an entry was about.
* A limited user's inbox shows only the messages of alerts in their companies (``visible_inbox``).

Everything a request asks several times is read once per user object (as ``roles.py`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from compliance_monitor.accounts.models import ConnectionAccess
from compliance_monitor.accounts.roles import ManagedWarehouse, Role, managed_warehouses, manages, require, role_of
from compliance_monitor.alerts.models import Alert
from compliance_monitor.erp.models import Connection
from compliance_monitor.jobs.models import Execution, Job
from compliance_monitor.notifications.models import InboxMessage

M = TypeVar("M", bound=Model)
CONNECTIONS_CACHE = "_cm_connections_cache"


# --- companies -------------------------------------------------------------------------------------------------


def visible_connections(user: Any) -> frozenset[str] | None:
    """Names of the connections ``user`` may see; None: every connection (no limit, or a superuser).

    Nobody signed in: none (an empty set). Read once per user object.
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return None
    if not hasattr(user, CONNECTIONS_CACHE):
        names = frozenset(ConnectionAccess.objects.filter(user=user).values_list("connection__name", flat=True))
        setattr(user, CONNECTIONS_CACHE, names or None)
    names_or_all: frozenset[str] | None = getattr(user, CONNECTIONS_CACHE)
    return names_or_all


def is_limited(user: Any) -> bool:
    return visible_connections(user) is not None


def may_see_connection(user: Any, name: str) -> bool:
    """Whether ``user`` may see the connection named ``name``; "" (installation-wide) only when unlimited."""
    names = visible_connections(user)
    return names is None or name in names


def may_see_across(user: Any, names: Iterable[str]) -> bool:
    """Whether ``user`` may see a thing meant for the connections ``names`` — none named: for every company (a
    check definition of the library), which anyone may read."""
    visible = visible_connections(user)
    return visible is None or set(names) <= visible


def may_change_across(user: Any, names: Iterable[str]) -> bool:
    """Whether ``user`` may change a thing meant for ``names``: a limited user only what names their companies."""
    visible = visible_connections(user)
    wanted = set(names)
    return visible is None or (bool(wanted) and wanted <= visible)


def require_connection(user: Any, name: str) -> None:
    """A 404 for a connection ``user`` may not see, as for one that does not exist (its name is not confirmed)."""
    if not may_see_connection(user, name):
        raise Http404(_("no connection named %(name)s") % {"name": repr(name)})


def require_every_connection(user: Any, what: str) -> None:
    """A 403 for a limited user: ``what`` ("the configuration audit") spans every company."""
    names = visible_connections(user)
    if names is not None:
        limited = ", ".join(sorted(names))
        raise PermissionDenied(
            _("%(what)s spans every company; your access is limited to %(names)s") % {"what": what, "names": limited}
        )


def within(user: Any, rows: QuerySet[M], connection_field: str) -> QuerySet[M]:
    """``rows`` narrowed to the user's connections. ``connection_field`` names a row's connection *by name*:
    ``"connection__name"`` through a foreign key, ``"connection"`` for a name column (alerts, check results)."""
    names = visible_connections(user)
    return rows if names is None else rows.filter(**{f"{connection_field}__in": names})


def visible_connection_rows(user: Any) -> QuerySet[Connection]:
    """The ERP connections ``user`` may see (lists, and ``get_object_or_404(..., name=name)``)."""
    return within(user, Connection.objects.all(), "name")


def preview_connection(user: Any, meant: list[str], name: str | None = None) -> Connection | None:
    """Where ``user``'s preview of a check meant for connections ``meant`` (none: every company) reads: ``name``
    when given (one they may see); for a user limited to some companies, the check's first connection of theirs
    (or their first); otherwise None — as a run reads (the check's first connection, or the default). Http404 when
    there is none they may use."""
    visible = visible_connection_rows(user)
    if name:
        found = visible.filter(name=name).first()
        if found is None:
            raise Http404(_("no connection named %(name)s") % {"name": repr(name)})
        return found
    if not is_limited(user):
        return None
    found = (visible.filter(name__in=meant) if meant else visible).order_by("name").first()
    if found is None:
        raise Http404(_("no connection of yours to preview on"))
    return found


def visible_jobs(user: Any) -> QuerySet[Job]:
    """The jobs of the connections ``user`` may see (lists, and ``get_object_or_404(..., name=name)``)."""
    return within(user, Job.objects.all(), "connection__name")


def visible_executions(user: Any) -> QuerySet[Execution]:
    """The runs of the jobs ``user`` may see."""
    return within(user, Execution.objects.all(), "job__connection__name")


# --- roles and alerts ------------------------------------------------------------------------------------------


def actor(user: Any, role: Role) -> str:
    """Check the user's role and name them for the audit fields (never taken from a request's body)."""
    require(user, role)
    return str(user.get_username())


def run_actor(user: Any, *, force: bool, parameters: object) -> str:
    """Who may run a job now: an operator chooses warehouses and gives a reason; overriding the job's
    parameters (a past date, another threshold) or forcing a disabled job takes an administrator."""
    return actor(user, Role.ADMIN if force or parameters else Role.OPERATOR)


def managed_scope(managed: frozenset[ManagedWarehouse]) -> Q:
    """The alerts of these warehouses, each in its company (or in every company)."""
    everywhere = sorted(entry.code for entry in managed if not entry.connection)
    scope = Q(warehouse__in=everywhere) if everywhere else Q(pk__in=[])
    for connection in sorted({entry.connection for entry in managed if entry.connection}):
        codes = sorted(entry.code for entry in managed if entry.connection == connection)
        scope |= Q(connection=connection, warehouse__in=codes)
    return scope


def visible_alerts(user: Any) -> QuerySet[Alert]:
    """Every alert for a role, a manager's warehouses' alerts otherwise — in the user's connections only."""
    return visible_in_warehouses(user, Alert.objects.all())


def visible_in_warehouses(user: Any, rows: QuerySet[M]) -> QuerySet[M]:
    """``rows`` (with ``connection`` and ``warehouse`` columns: alerts, accepted exceptions) a user may see: all
    of their connections' for a role, their warehouses' for a manager."""
    if (role_of(user) or 0) < Role.VIEWER:
        managed = managed_warehouses(user)
        if not managed:
            require(user, Role.VIEWER)  # raises, naming the role needed
        rows = rows.filter(managed_scope(managed))
    return within(user, rows, "connection")


def may_act_on(user: Any, alert: Alert) -> bool:
    """Whether acknowledge and resolve are offered: what ``alert_actor`` would allow."""
    return actionable(user)(alert)


def actionable(user: Any) -> Callable[[Alert], bool]:
    """``may_act_on`` for many alerts: the user's role, warehouses and connections are read once."""
    names = visible_connections(user)

    def seen(alert: Alert) -> bool:
        return names is None or alert.connection in names

    if (role_of(user) or 0) >= Role.OPERATOR:
        return seen
    managed = managed_warehouses(user)
    return lambda alert: seen(alert) and manages(managed, alert.connection, alert.warehouse)


def alert_actor(user: Any, alert: Alert) -> str:
    """Operators act on any alert of their connections; a warehouse's manager on that warehouse's alerts."""
    return scope_actor(user, alert.connection, alert.warehouse, missing="no such alert")


def scope_actor(user: Any, connection: str, warehouse: str, *, missing: str) -> str:
    """Who acts on one warehouse of one company (its alert, an exception there): an operator of that company, or
    the warehouse's manager. Another company's is ``missing`` (a 404: not revealed)."""
    if not may_see_connection(user, connection):
        raise Http404(missing)
    if manages(managed_warehouses(user), connection, warehouse):
        return str(user.get_username())
    try:
        return actor(user, Role.OPERATOR)
    except PermissionDenied as exc:
        where = f"{warehouse} ({connection})" if connection else warehouse
        raise PermissionDenied(
            _("%(refusal)s, or to manage warehouse %(warehouse)s") % {"refusal": exc, "warehouse": where or "-"}
        ) from None


# --- the inbox -------------------------------------------------------------------------------------------------


def visible_inbox(user: Any) -> QuerySet[InboxMessage]:
    """The user's own in-app messages; a limited user's only of alerts in their connections, and a digest's only
    of their companies (a message whose alert is gone, or of an installation-wide alert, is shown to unlimited
    users only)."""
    own, names = InboxMessage.objects.filter(user=user), visible_connections(user)
    if names is None:
        return own
    return own.filter(Q(alert__connection__in=names) | Q(alert__isnull=True, connection__in=names))


def unread_count(user: Any) -> int:
    return visible_inbox(user).filter(read_at__isnull=True).count()


# --- setting a limit -------------------------------------------------------------------------------------------


def limit_user(user: Any, names: Iterable[str] | None) -> frozenset[str] | None:
    """Limit ``user`` to the connections named ``names`` (None: every connection); returns the new limit.

    Replaces the user's rows in one transaction (each row added or removed is in the configuration audit).
    A superuser sees every company whatever the rows say, so limiting one is refused; so is an empty list
    (it would read as "no limit") and a name no connection has.
    """
    wanted = None if names is None else frozenset(names)
    if wanted is not None and user.is_superuser:
        raise ValidationError({"user": [f"{user.get_username()} is a superuser and sees every company"]})
    if wanted is not None and not wanted:
        raise ValidationError({"connection": ["name at least one connection, or lift the limit"]})
    found = {c.name: c for c in Connection.objects.filter(name__in=wanted or ())}
    unknown = sorted((wanted or frozenset()) - set(found))
    if unknown:
        raise ValidationError({"connection": [f"no connection named {', '.join(map(repr, unknown))}"]})
    with transaction.atomic():
        rows = ConnectionAccess.objects.filter(user=user).select_related("connection")
        for row in rows:
            if wanted is None or row.connection.name not in wanted:
                row.delete()  # one by one, so each removal is audited
        held = set(rows.values_list("connection__name", flat=True))
        for name in sorted(set(found) - held):
            ConnectionAccess.objects.create(user=user, connection=found[name])
    if hasattr(user, CONNECTIONS_CACHE):
        delattr(user, CONNECTIONS_CACHE)
    return visible_connections(user)
