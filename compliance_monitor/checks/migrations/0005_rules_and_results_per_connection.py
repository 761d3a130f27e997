"""Rules and results name their connection: an upgraded installation's go on the one it read."""

import django.db.models.deletion
from django.db import migrations, models

from compliance_monitor.erp.migration_support import connection_for_existing_data


def put_rules_and_results_on_their_connection(apps, schema_editor):
    """Before this, an installation read one ERP: every rule and result is of that connection."""
    rules = apps.get_model("checks", "WarehouseRule").objects.filter(connection__isnull=True)
    results = apps.get_model("checks", "CheckResult").objects.filter(connection="")
    if rules.exists() or results.exists():
        connection = connection_for_existing_data(apps)
        rules.update(connection=connection)
        results.update(connection=connection.name)


RULE_CONNECTION = dict(
    help_text="The ERP company whose warehouse this is.",
    on_delete=django.db.models.deletion.CASCADE,
    related_name="warehouse_rules",
    to="erp.connection",
)


class Migration(migrations.Migration):
    dependencies = [
        ("checks", "0004_past_date_results_not_current"),
        ("erp", "0002_catalog_requestslot"),
        ("jobs", "0005_job_connection"),
    ]

    operations = [
        migrations.AlterModelOptions(name="warehouserule", options={"ordering": ["connection__name", "warehouse_code"]}),
        migrations.RemoveIndex(model_name="checkresult", name="check_result_identity"),
        migrations.AddField(
            model_name="checkresult",
            name="connection",
            field=models.CharField(blank=True, help_text="The ERP connection read (its name).", max_length=64),
        ),
        migrations.AddField(
            model_name="warehouserule", name="connection", field=models.ForeignKey(null=True, **RULE_CONNECTION)
        ),
        migrations.AlterField(
            model_name="warehouserule",
            name="warehouse_code",
            field=models.CharField(help_text="Flexi warehouse code (sklad.kod).", max_length=64),
        ),
        migrations.RunPython(put_rules_and_results_on_their_connection, migrations.RunPython.noop),
        migrations.AlterField(model_name="warehouserule", name="connection", field=models.ForeignKey(**RULE_CONNECTION)),
        migrations.AddIndex(
            model_name="checkresult",
            index=models.Index(fields=["connection", "check_name", "warehouse"], name="check_result_scope"),
        ),
        migrations.AddConstraint(
            model_name="warehouserule",
            constraint=models.UniqueConstraint(
                fields=("connection", "warehouse_code"), name="warehouse_rule_one_per_warehouse"
            ),
        ),
    ]
