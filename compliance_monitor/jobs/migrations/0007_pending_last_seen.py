"""PendingRecheck.last_seen_at: a full run settles only what was all seen before it started (issue 13 review).

Rows waiting at the upgrade get their first change's time — the only time they recorded — so a run that began
after it still covers them, as it did before."""

from django.db import migrations, models
from django.db.models import F


def from_first_seen(apps, schema_editor):  # noqa: ANN001 — Django's migration signature
    pending = apps.get_model("jobs", "PendingRecheck")
    pending.objects.update(last_seen_at=F("first_seen_at"))


class Migration(migrations.Migration):
    dependencies = [("jobs", "0006_change_feed")]

    operations = [
        migrations.AddField(
            model_name="pendingrecheck",
            name="last_seen_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(from_first_seen, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pendingrecheck",
            name="last_seen_at",
            field=models.DateTimeField(
                help_text="When its latest change came in (a full run started later covers it)."
            ),
        ),
    ]
