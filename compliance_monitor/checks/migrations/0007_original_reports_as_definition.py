"""The original three reports become the check definition ``warehouse.product_types`` (issue 12).

Until now they were code (``WarehouseProductTypeCheck``) over the connection's warehouse rules; from now on they are
the shipped definition of the same name, whose scopes are those same rules (``scope: {parameter: sklad, values:
rules}``). The name, the scopes and so every alert's fingerprint (connection + check + warehouse) stay as they were:
jobs keep naming ``warehouse.product_types``, open alerts keep matching, results keep comparing with the last run —
the upgrade reopens, duplicates and re-notifies nothing. The spec is frozen here (the library's YAML may change
later; this migration must not). A definition of that name made by someone already is left as it is.
"""

from django.db import migrations
from django.utils import timezone

NAME = "warehouse.product_types"
SPEC = {
    "name": "warehouse.product_types",
    "title": {"en": "Goods in a warehouse that may not hold them", "cs": "Zboží ve skladu, kam nepatří"},
    "description": {
        "en": "Stock on the run's date (stav-skladu-k-datu) of each warehouse with a warehouse "
        "rule: a product with stock above zero whose goods group (or product type, as the "
        "rule says) is set and not allowed in that warehouse.",
        "cs": "Stav skladu k datu běhu (stav-skladu-k-datu) každého skladu s pravidlem: položka s "
        "kladným stavem, jejíž skupina zboží (nebo typ zásoby, podle pravidla) je vyplněna a "
        "do skladu nepatří.",
    },
    "evidence": "stav-skladu-k-datu",
    "request": {"datum": "${today}"},
    "scope": {"parameter": "sklad", "values": "rules"},
    "predicate": "stavMJ > 0 && ( (${by_type} && cenik.typZasobyK is not null && !(cenik.typZasobyK in "
    "${allowed})) || (!${by_type} && (skupZboz.id is not null || skupZboz.kod is not null) && "
    "!(skupZboz.id in ${allowed} || skupZboz.kod in ${allowed})))",
    "identity": ["cenik.kod"],
    "label": "cenik.nazev",
    "quantity": "stavMJ",
    "unit": "mj1.kod",
    "group": "skupZboz",
}


def install(apps, schema_editor):
    definition = apps.get_model("checks", "CheckDefinition")
    version = apps.get_model("checks", "CheckDefinitionVersion")
    if definition.objects.filter(name=NAME).exists() or version.objects.filter(name=NAME).exists():
        return
    now = timezone.now()
    definition.objects.create(
        name=NAME,
        version=1,
        spec=SPEC,
        enabled=True,
        shipped=True,
        created_at=now,
        updated_at=now,
        updated_by="upgrade",
    )
    version.objects.create(name=NAME, version=1, spec=SPEC, created_at=now, created_by="upgrade")


def remove(apps, schema_editor):
    apps.get_model("checks", "CheckDefinition").objects.filter(name=NAME, updated_by="upgrade", version=1).delete()
    apps.get_model("checks", "CheckDefinitionVersion").objects.filter(name=NAME, created_by="upgrade").delete()


class Migration(migrations.Migration):
    dependencies = [("checks", "0006_check_definitions")]

    operations = [migrations.RunPython(install, remove)]
