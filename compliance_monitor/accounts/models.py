"""Access per company: a user with any :class:`ConnectionAccess` row sees and acts only in those connections.

No row: every connection (the installation's default). The rules applying it are in ``access.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ConnectionAccess(models.Model):
    """``user`` may see and act on ``connection`` (an ERP company); a user with any row, on those only.

    Deleting a connection someone is limited to is refused (PROTECT): cascading would leave that user with no row,
    that is unlimited — a clerk of client A would see every client once A is gone.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="connection_access")
    connection = models.ForeignKey("erp.Connection", on_delete=models.PROTECT, related_name="user_access")

    class Meta:
        verbose_name = "access to a company"
        verbose_name_plural = "access per company"
        ordering = ["user_id", "connection__name"]
        constraints = [models.UniqueConstraint(fields=["user", "connection"], name="connection_access_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.connection}"


class Preference(models.Model):
    """What a user chose for themselves: the language of the dashboard (blank: the browser's, else the
    installation's ``LANGUAGE_CODE``)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user}: {self.language or 'browser'}"
