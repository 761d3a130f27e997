"""notifications/0005 from 0004, with a real row: a recipient that existed gets no language of its own (blank: the
installation's LANGUAGE_CODE), so what it receives does not change with the upgrade; a language can be chosen after."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

PREVIOUS = [("notifications", "0004_digests_and_quiet_hours")]


@pytest.mark.django_db(transaction=True)  # schema changes on SQLite: outside a test transaction
def test_an_existing_recipient_reads_the_installations_language_after_the_upgrade() -> None:
    """Shown failing without the migration (no such column) and with a default of "en" in it (an installation in
    Czech would start mailing its existing recipients in English)."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS)
    try:
        others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "notifications"]
        old = executor.loader.project_state([*PREVIOUS, *others]).apps
        old_recipient = old.get_model("notifications", "Recipient")
        assert "language" not in {field.name for field in old_recipient._meta.get_fields()}
        marta = old_recipient.objects.create(
            name="Marta", email="marta@example.com", warehouses=["MATERIAL"], medium_policy="immediate"
        )

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from compliance_monitor.notifications import policy
    from compliance_monitor.notifications.models import Recipient

    marta = Recipient.objects.get(pk=marta.pk)
    assert (marta.name, marta.warehouses, marta.medium_policy, marta.language) == (
        "Marta",
        ["MATERIAL"],
        "immediate",
        "",
    )
    for installation in ("cs", "en"):
        with override_settings(LANGUAGE_CODE=installation):
            assert policy.language(marta) == installation
    marta.language = "cs"
    marta.full_clean()
    marta.save()
    assert Recipient.objects.get(pk=marta.pk).language == "cs"
