"""Job: per-job duration anomaly thresholds (issue 16). Existing jobs get the defaults: slow past max(2 × p95,
p95 + 5 min) of their last 30 successful runs or past 80 % of their timeout; short below 10 % of the median."""

import compliance_monitor.jobs.models
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0007_pending_last_seen'),
    ]

    operations = [
        migrations.AddField(
            model_name='job',
            name='short_run_percent',
            field=models.PositiveSmallIntegerField(default=10, help_text='A successful run shorter than this percentage of the usual median that also read at most half the usual rows is flagged as suspicious; 0: off.', validators=[django.core.validators.MaxValueValidator(100)]),
        ),
        migrations.AddField(
            model_name='job',
            name='slow_run_factor',
            field=models.FloatField(default=2.0, help_text='A running run is slow past this many times its usual p95 duration (and past the margin below); 0: never compared with its history.', validators=[compliance_monitor.jobs.models.validate_finite, django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)]),
        ),
        migrations.AddField(
            model_name='job',
            name='slow_run_margin_seconds',
            field=models.PositiveIntegerField(default=300, help_text='… and only once it has run this much longer than the usual p95 (short jobs vary a lot).', validators=[django.core.validators.MaxValueValidator(86400)]),
        ),
        migrations.AddField(
            model_name='job',
            name='slow_run_timeout_percent',
            field=models.PositiveSmallIntegerField(default=80, help_text='A running run is slow past this percentage of its timeout; 0: off.', validators=[django.core.validators.MaxValueValidator(99)]),
        ),
    ]
