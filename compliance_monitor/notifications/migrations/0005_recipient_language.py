"""Issue 15: each recipient's language for their notifications; existing recipients get blank (the installation's
LANGUAGE_CODE), so nothing they receive changes until someone chooses a language for them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_digests_and_quiet_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="recipient",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("cs", "Čeština")],
                help_text="What their e-mails, inbox messages and chat notifications are written in; blank: the "
                "installation's language (LANGUAGE_CODE).",
                max_length=10,
            ),
        ),
    ]
