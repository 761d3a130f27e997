"""The original three reports as default rules (reference/abra-flexi.md); existing rules are kept."""

from django.db import migrations

DEFAULT_RULES = [
    ("MATERIAL", 5, "MaterialWarehouseInvalidProductsReport", ["3"]),
    ("ZBOZI", 4, "ProductsProductWarehouseInvalidProductsReport", ["8", "1"]),
    ("POLOTOVARY", 20, "SemiProductsWarehouseInvalidProductsReport", ["7"]),
]


def seed(apps, schema_editor):
    rule = apps.get_model("checks", "WarehouseRule")
    for code, warehouse_id, report, allowed in DEFAULT_RULES:
        rule.objects.get_or_create(
            warehouse_code=code,
            defaults={"warehouse_id": warehouse_id, "report_name": report, "allowed": allowed},
        )


class Migration(migrations.Migration):
    dependencies = [("checks", "0002_warehouse_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
