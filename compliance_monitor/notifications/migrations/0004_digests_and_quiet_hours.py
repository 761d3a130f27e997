"""Digests and quiet hours (issue 16, part 2): a recipient's delivery policy, digests and their pending items.

A new recipient hears of medium and low alerts in an hourly digest; a recipient that exists already keeps being
told of every alert at once (what they had before the upgrade) until someone changes their policy. A delivery may
now be a digest's (about many alerts: ``alert`` null); existing deliveries keep their alert.
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models

import compliance_monitor.notifications.models


def keep_existing_recipients_immediate(apps, schema_editor):
    recipients = apps.get_model("notifications", "Recipient").objects.all()
    recipients.update(high_policy="immediate", medium_policy="immediate", low_policy="immediate")


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_alert_connection"),
        ("notifications", "0003_recipient_and_window_connection"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboxmessage",
            name="connection",
            field=models.CharField(
                blank=True, help_text="A digest's company (by name): its alerts are of that company.", max_length=64
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="digest_cadence",
            field=models.CharField(choices=[("hourly", "Hourly"), ("daily", "Daily")], default="hourly", max_length=10),
        ),
        migrations.AddField(
            model_name="recipient",
            name="digest_time",
            field=models.TimeField(
                default=datetime.time(8, 0), help_text="Daily digests: when, in the recipient's time zone."
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="high_policy",
            field=models.CharField(
                choices=[("immediate", "Immediate"), ("digest", "Digest")], default="immediate", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="low_policy",
            field=models.CharField(
                choices=[("immediate", "Immediate"), ("digest", "Digest")], default="digest", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="medium_policy",
            field=models.CharField(
                choices=[("immediate", "Immediate"), ("digest", "Digest")], default="digest", max_length=10
            ),
        ),
        migrations.AddField(
            model_name="recipient",
            name="quiet_hours_end",
            field=models.TimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="recipient",
            name="quiet_hours_start",
            field=models.TimeField(blank=True, help_text="Local time; critical alerts still go out.", null=True),
        ),
        migrations.AddField(
            model_name="recipient",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="Blank: the service's time zone.",
                max_length=64,
                validators=[compliance_monitor.notifications.models.valid_time_zone],
            ),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="alert",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="alerts.alert",
            ),
        ),
        migrations.CreateModel(
            name="Digest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("period_start", models.DateTimeField()),
                ("period_end", models.DateTimeField()),
                ("created_at", models.DateTimeField()),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="digests",
                        to="notifications.recipient",
                    ),
                ),
            ],
            options={
                "ordering": ["-period_end", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="delivery",
            name="digest",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="notifications.digest",
            ),
        ),
        migrations.CreateModel(
            name="DigestItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("raised", "Raised"), ("changed", "Changed"), ("resolved", "Resolved")], max_length=10
                    ),
                ),
                ("severity", models.PositiveSmallIntegerField(help_text="The alert's severity at the change.")),
                ("at", models.DateTimeField()),
                (
                    "alert",
                    models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="alerts.alert"),
                ),
                (
                    "digest",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="notifications.digest",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="digest_items",
                        to="notifications.recipient",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "pk"],
                "indexes": [
                    models.Index(
                        condition=models.Q(("digest", None)), fields=["recipient", "at"], name="digest_item_pending"
                    )
                ],
            },
        ),
        migrations.RunPython(keep_existing_recipients_immediate, migrations.RunPython.noop),
    ]
