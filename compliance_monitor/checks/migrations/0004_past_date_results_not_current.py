"""Results of runs made before the 'now' rule that looked at a past date are not current: they never were a
baseline for the diff or the volume guard (issue 10, item 4). Alerts are not touched."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def looked_at_another_day(execution, zone) -> bool:
    merged = {**(execution.job.default_parameters or {}), **(execution.parameters or {})}
    stamp = execution.started_at or execution.queued_at
    return bool(merged.get("date")) and str(merged["date"]) != stamp.astimezone(zone).date().isoformat()


def mark_past_date_results(apps, schema_editor):
    Execution = apps.get_model("jobs", "Execution")
    CheckResult = apps.get_model("checks", "CheckResult")
    zone = ZoneInfo(settings.TIME_ZONE)
    past = [
        execution.pk
        for execution in Execution.objects.select_related("job").filter(check_results__isnull=False).distinct().iterator()
        if looked_at_another_day(execution, zone)
    ]
    for start in range(0, len(past), 500):
        CheckResult.objects.filter(execution_id__in=past[start : start + 500]).update(is_current=False)


class Migration(migrations.Migration):
    dependencies = [("checks", "0003_result_completeness_and_volume"), ("jobs", "0003_execution_alerts_reviewed_at")]
    operations = [migrations.RunPython(mark_past_date_results, migrations.RunPython.noop)]
