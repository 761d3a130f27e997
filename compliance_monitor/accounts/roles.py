"""Roles are Django groups: viewer < operator < admin. A superuser is an admin.

* viewer — reads everything;
* operator — viewer + triggers and cancels runs, acknowledges and resolves alerts;
* admin — operator + creates, changes, enables, disables and deletes jobs, forces runs of disabled jobs,
  cleans up, manages tokens and recipients.

Anyone signed in reads and marks read their own in-app messages; a warehouse's manager (an active
recipient for it) sees and acts on that warehouse's alerts without a role (``access.py``). A role may be limited
to some connections (companies): ``access.visible_connections``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from compliance_monitor.notifications.models import Recipient


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def group(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        """The role's name for people, in the active language (``group`` is its name in the database)."""
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.VIEWER: pgettext_lazy("role", "viewer"),
    Role.OPERATOR: pgettext_lazy("role", "operator"),
    Role.ADMIN: pgettext_lazy("role", "admin"),
}

# Read once per user object, as Django caches permissions (``_perm_cache``): a request loads its user afresh,
# and a page asks several times (the view's check, the header, each alert's buttons).
ROLE_CACHE, WAREHOUSES_CACHE = "_cm_role_cache", "_cm_warehouses_cache"


def role_of(user: Any) -> Role | None:
    if user is None or not user.is_active or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    if not hasattr(user, ROLE_CACHE):
        names = set(user.groups.values_list("name", flat=True))
        held = [role for role in Role if role.group in names]
        setattr(user, ROLE_CACHE, max(held) if held else None)
    role: Role | None = getattr(user, ROLE_CACHE)
    return role


class ManagedWarehouse(NamedTuple):
    """Warehouse ``code`` of the connection named ``connection``; ``connection`` "": that code in every company."""

    connection: str
    code: str

    def __str__(self) -> str:  # the header's "manager of ZBOZI (a), MATERIAL"
        return f"{self.code} ({self.connection})" if self.connection else self.code

    def covers(self, connection: str, warehouse: str) -> bool:
        """Whether this is the warehouse ``warehouse`` of the connection named ``connection``."""
        return bool(warehouse) and warehouse == self.code and self.connection in ("", connection)


def managed_warehouses(user: Any) -> frozenset[ManagedWarehouse]:
    """Warehouses whose manager this user is (through an active notification recipient), each in its company:
    a recipient with a connection manages its codes in that company only, one without in every company."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if not hasattr(user, WAREHOUSES_CACHE):
        rows = Recipient.objects.filter(user=user, active=True).values_list("connection__name", "warehouses")
        managed = frozenset(
            ManagedWarehouse(connection or "", code)
            for connection, codes in rows
            if isinstance(codes, list)
            for code in codes
            if isinstance(code, str) and code
        )
        setattr(user, WAREHOUSES_CACHE, managed)
    warehouses: frozenset[ManagedWarehouse] = getattr(user, WAREHOUSES_CACHE)
    return warehouses


def manages(managed: frozenset[ManagedWarehouse], connection: str, warehouse: str) -> bool:
    """Whether one of ``managed`` is the warehouse ``warehouse`` of the connection named ``connection``."""
    return any(entry.covers(connection, warehouse) for entry in managed)


def require(user: Any, role: Role) -> Role:
    """Raise PermissionDenied saying which role is needed; return the user's role."""
    held = role_of(user)
    if held is None or held < role:
        if held is None:
            raise PermissionDenied(_("this needs the %(needed)s role; you have no role") % {"needed": role.label})
        raise PermissionDenied(
            _("this needs the %(needed)s role; you have %(held)s role") % {"needed": role.label, "held": held.label}
        )
    return held
