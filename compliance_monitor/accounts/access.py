"""Who sees and acts on which alerts — shared by the API and the dashboard so both refuse alike.

Anyone with a role sees every alert; a warehouse's manager (an active notification recipient for it)
sees and acts on that warehouse's alerts even without a role. Acting otherwise needs the operator role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from compliance_monitor.accounts.roles import Role, managed_warehouses, require, role_of
from compliance_monitor.alerts.models import Alert


def actor(user: Any, role: Role) -> str:
    """Check the user's role and name them for the audit fields (never taken from a request's body)."""
    require(user, role)
    return str(user.get_username())


def run_actor(user: Any, *, force: bool, parameters: object) -> str:
    """Who may run a job now: an operator chooses warehouses and gives a reason; overriding the job's
    parameters (a past date, another threshold) or forcing a disabled job takes an administrator."""
    return actor(user, Role.ADMIN if force or parameters else Role.OPERATOR)


def visible_alerts(user: Any) -> QuerySet[Alert]:
    if (role_of(user) or 0) >= Role.VIEWER:
        return Alert.objects.all()
    warehouses = managed_warehouses(user)
    if not warehouses:
        require(user, Role.VIEWER)  # raises, naming the role needed
    return Alert.objects.filter(warehouse__in=warehouses)


def may_act_on(user: Any, alert: Alert) -> bool:
    """Whether acknowledge and resolve are offered: what ``alert_actor`` would allow."""
    return actionable(user)(alert)


def actionable(user: Any) -> Callable[[Alert], bool]:
    """``may_act_on`` for many alerts: the user's role and warehouses are read once."""
    if (role_of(user) or 0) >= Role.OPERATOR:
        return lambda alert: True
    warehouses = managed_warehouses(user)
    return lambda alert: bool(alert.warehouse) and alert.warehouse in warehouses


def alert_actor(user: Any, alert: Alert) -> str:
    """Operators act on any alert; a warehouse's manager on that warehouse's alerts."""
    if alert.warehouse and alert.warehouse in managed_warehouses(user):
        return str(user.get_username())
    try:
        return actor(user, Role.OPERATOR)
    except PermissionDenied as exc:
        raise PermissionDenied(f"{exc}, or to manage warehouse {alert.warehouse or '-'}") from None
