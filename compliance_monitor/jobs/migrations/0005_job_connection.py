"""A job names its ERP connection; an upgraded installation's jobs go on the one it read (``default``/``demo``)."""

import django.db.models.deletion
from django.db import migrations, models

from compliance_monitor.erp.migration_support import connection_for_existing_data


def put_jobs_on_the_existing_connection(apps, schema_editor):
    jobs = apps.get_model("jobs", "Job").objects.filter(connection__isnull=True)
    if jobs.exists():
        jobs.update(connection=connection_for_existing_data(apps))


class Migration(migrations.Migration):
    dependencies = [("erp", "0002_catalog_requestslot"), ("jobs", "0004_conflictsnapshot")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="connection",
            field=models.ForeignKey(
                null=True,
                help_text="The ERP company its checks read.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="jobs",
                to="erp.connection",
            ),
        ),
        migrations.RunPython(put_jobs_on_the_existing_connection, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="job",
            name="connection",
            field=models.ForeignKey(
                help_text="The ERP company its checks read.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="jobs",
                to="erp.connection",
            ),
        ),
    ]
