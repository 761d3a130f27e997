from django.db import migrations

from compliance_monitor.checks.defaults import ensure_default_rules


def seed(apps, schema_editor):
    ensure_default_rules(apps.get_model("checks", "WarehouseRule"))


class Migration(migrations.Migration):
    dependencies = [("checks", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
