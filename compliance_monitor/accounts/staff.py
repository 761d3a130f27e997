"""Administrators reach the Django admin: joining the ``admin`` group makes a user staff (the admin's door)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed

from compliance_monitor.accounts.roles import Role


def admins_are_staff(sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any) -> None:
    if action != "post_add" or not pk_set:
        return
    admin_group = Group.objects.filter(name=Role.ADMIN.group, pk__in=pk_set if not reverse else [instance.pk])
    if not admin_group.exists():
        return
    users = (
        get_user_model().objects.filter(pk__in=pk_set) if reverse else get_user_model().objects.filter(pk=instance.pk)
    )
    users.filter(is_staff=False).update(is_staff=True)


def connect() -> None:
    """Called once the apps are ready (``ApiConfig.ready``)."""
    m2m_changed.connect(admins_are_staff, sender=get_user_model().groups.through, dispatch_uid="cm-admins-are-staff")
