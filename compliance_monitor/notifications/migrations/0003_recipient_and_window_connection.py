"""Recipients' warehouses and maintenance windows key on (connection, code): today's go on the one ERP read."""

import django.db.models.deletion
from django.db import migrations, models

from compliance_monitor.erp.migration_support import connection_for_existing_data


def put_warehouses_on_their_connection(apps, schema_editor):
    recipients = apps.get_model("notifications", "Recipient").objects.filter(connection__isnull=True)
    windows = apps.get_model("notifications", "MaintenanceWindow").objects.filter(connection__isnull=True)
    recipients, windows = recipients.exclude(warehouses=[]), windows.exclude(warehouse="")
    if recipients.exists() or windows.exists():
        connection = connection_for_existing_data(apps)
        recipients.update(connection=connection)
        windows.update(connection=connection)


class Migration(migrations.Migration):
    dependencies = [("erp", "0002_catalog_requestslot"), ("notifications", "0002_admin_role_permissions")]

    operations = [
        migrations.AddField(
            model_name="maintenancewindow",
            name="connection",
            field=models.ForeignKey(
                blank=True,
                help_text="The company of its warehouse; blank: that warehouse code in every company.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="erp.connection",
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="connection",
            field=models.ForeignKey(
                blank=True,
                help_text="The company whose warehouses these are; blank: that warehouse code in every company.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="recipients",
                to="erp.connection",
            ),
        ),
        migrations.RunPython(put_warehouses_on_their_connection, migrations.RunPython.noop),
    ]
