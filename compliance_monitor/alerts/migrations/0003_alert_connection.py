"""Alerts name their connection, and a compliance or volume alert's fingerprint includes it.

An upgraded installation read one ERP: its alerts are of that connection. Open ones keep open under the new
fingerprint (so the next run updates them: nothing reopens, nothing is notified again); resolved ones get it too,
so a recurrence still links to its predecessor.
"""

from django.db import migrations, models

from compliance_monitor.erp.migration_support import connection_for_existing_data

PER_SCOPE = ("compliance_violation:", "volume:")


def rekey(fingerprint: str, connection: str) -> str:
    kind, _, rest = fingerprint.partition(":")
    return f"{kind}:{connection}:{rest}"


def put_alerts_on_their_connection(apps, schema_editor):
    alerts = apps.get_model("alerts", "Alert").objects.filter(connection="")
    if not alerts.exists():
        return
    name = connection_for_existing_data(apps).name
    for alert in alerts.only("pk", "fingerprint").iterator():
        fingerprint = rekey(alert.fingerprint, name) if alert.fingerprint.startswith(PER_SCOPE) else alert.fingerprint
        alerts.filter(pk=alert.pk).update(connection=name, fingerprint=fingerprint)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0002_backfill_alerts_reviewed_at"), ("erp", "0002_catalog_requestslot")]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="connection",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="The ERP connection (company) it is about, by name.",
                max_length=64,
            ),
        ),
        migrations.RunPython(put_alerts_on_their_connection, migrations.RunPython.noop),
    ]
