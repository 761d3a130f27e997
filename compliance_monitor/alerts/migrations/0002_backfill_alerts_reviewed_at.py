"""Existing installations: every final run that has nothing more coming gets its ``alerts_reviewed_at``.

Reviewed runs take their review's time; skipped and cancelled runs (nothing to review) their end. Runs
still waiting for their review keep null: the review (or its sweep) sets it.
"""

from django.db import migrations
from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Execution = apps.get_model("jobs", "Execution")
    ExecutionReview = apps.get_model("alerts", "ExecutionReview")
    reviews = ExecutionReview.objects.filter(execution=OuterRef("pk"))
    unset = Execution.objects.filter(alerts_reviewed_at__isnull=True)
    unset.filter(Exists(reviews)).update(alerts_reviewed_at=Subquery(reviews.values("reviewed_at")[:1]))
    unset.filter(status__in=["skipped", "cancelled"]).update(
        alerts_reviewed_at=Coalesce(F("finished_at"), F("queued_at"))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("alerts", "0001_initial"),
        ("jobs", "0003_execution_alerts_reviewed_at"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
