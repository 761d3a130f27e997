"""The admin role manages recipients and maintenance windows (and revokes tokens) in the Django admin.

Grants the group "admin" add/change/delete/view on Recipient and MaintenanceWindow, view on Delivery, and
view/change (revoke) on ApiToken; members of the group get staff status, which the admin site requires.
Permissions are normally created after all migrations (post_migrate): they are created here first.
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMIN_ROLE = "admin"
GRANTS = {
    ("notifications", "recipient"): ("add", "change", "delete", "view"),
    ("notifications", "maintenancewindow"): ("add", "change", "delete", "view"),
    ("notifications", "delivery"): ("view",),
    ("api", "apitoken"): ("view", "change"),
}


def _permissions(apps):
    for label in {app for app, _model in GRANTS}:
        config = apps.get_app_config(label)
        config.models_module = True  # historical app configs have none; create_permissions skips those
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    permission = apps.get_model("auth", "Permission")
    codenames = [(app, f"{action}_{model}") for (app, model), actions in GRANTS.items() for action in actions]
    return [permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in codenames]


def grant(apps, schema_editor):
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=ADMIN_ROLE)
    group.permissions.add(*_permissions(apps))
    apps.get_model(settings.AUTH_USER_MODEL).objects.filter(groups=group, is_staff=False).update(is_staff=True)


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=ADMIN_ROLE).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))  # staff status stays: it may have been given by hand


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("api", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
