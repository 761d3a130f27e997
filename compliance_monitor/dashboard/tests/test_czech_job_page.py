"""Issue 15: the job page and the cron preview in Czech, from group B's part of the catalog
(``locale/cs/LC_MESSAGES/django.po``) compiled into a temporary ``LOCALE_PATHS``; English stays as it was.

Shown failing with the job page's fire times written with ``clock`` again (``ne 6. 12. 2026 16:00:00 CET``), with
``charts.seconds_text`` keeping the decimal point (``2.0 s`` in Czech), and with ``localized=True`` dropped from
``anomalies._judge`` (its sentence stays English)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone, translation

from compliance_monitor.dashboard.tests.test_duration_anomalies import ran
from compliance_monitor.jobs import cron, durations
from compliance_monitor.jobs.models import Execution, Job, Status

JOB = "/jobs/compliance/"
SUNDAYS = {"cron": "0 16 * * 0", "timezone": "Europe/Prague"}  # every Sunday at 16:00 in Prague


@pytest.fixture
def three_runs(job: Job, finished_run: Callable[..., Execution]) -> Job:
    """Two successes and a failure today, each taking 2 s: a success rate of 66.67 %."""
    finished_run(ago=timedelta(hours=3))
    finished_run(ago=timedelta(hours=2))
    finished_run(status=Status.FAILED, error="ERP down", ago=timedelta(hours=1))
    return job


def fire_times(page: str, testid: str) -> list[str]:
    start = page.index(f'data-testid="{testid}"')
    return re.findall(r"<li>([^<]*)</li>", page[start : page.index("</ol>", start)])


def test_the_job_page_reads_in_czech(czech_catalog: None, three_runs: Job, as_role: Callable[[str], Client]) -> None:
    page = as_role("viewer").get(JOB, HTTP_ACCEPT_LANGUAGE="cs").content.decode()

    for heading in ("<h2>Příští běhy</h2>", "<h2>Nastavení</h2>", "<h2>Historie</h2>", "Statistiky <span"):
        assert heading in page
    assert "posledních 30 dní" in page and "Běhy za den" in page
    assert f'Čte připojení <a href="/connections/{three_runs.connection.name}/">' in page
    assert "<strong>3</strong> běhy" in page  # Czech plural: 2–4
    assert "nad 80 % časového limitu" in page  # a blocktranslate with a literal percent sign
    # Statistics numbers with a decimal comma: p50 of 2 s, two of three runs succeeded.
    assert "p50 <strong>2,0 s</strong>" in page and "<strong>66,67 %</strong> úspěšných" in page
    # The next runs in Czech: "ne 6. 12. 2026 16:00" (9:00 without a leading zero), hourly in the job's time zone.
    times = fire_times(page, "next-runs")
    assert len(times) == 5
    assert all(re.fullmatch(r"(po|út|st|čt|pá|so|ne) \d{1,2}\. \d{1,2}\. \d{4} \d{1,2}:00", t) for t in times), times
    assert "Next runs" not in page and "Configuration" not in page and "2.0 s" not in page


def test_the_cron_preview_writes_czech_dates(czech_catalog: None, job: Job, as_role: Callable[[str], Client]) -> None:
    body = as_role("viewer").get("/cron-preview", SUNDAYS, HTTP_ACCEPT_LANGUAGE="cs").content.decode()

    expected = [f"ne {at.day}. {at.month}. {at.year} 16:00" for at in _sundays()]
    assert "Příští běhy výrazu <code>0 16 * * 0</code> (Europe/Prague):" in body
    assert fire_times(body, "cron-preview") == expected


def test_english_is_unchanged(czech_catalog: None, three_runs: Job, as_role: Callable[[str], Client]) -> None:
    client = as_role("viewer")
    page = client.get(JOB, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<h2>Next runs</h2>" in page and "<h2>Configuration</h2>" in page and "last 30 days" in page
    assert "<strong>3</strong> runs" in page and "past 80 % of the timeout" in page
    assert "p50 <strong>2.0 s</strong>" in page and "<strong>66.67 %</strong> succeeded" in page
    times = fire_times(page, "next-runs")
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d\d\.\d\d\.\d{4} \d\d:00:00 CES?T", t) for t in times), times
    body = client.get("/cron-preview", SUNDAYS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Next runs of <code>0 16 * * 0</code> (Europe/Prague):" in body
    times = fire_times(body, "cron-preview")
    assert times == [f"{at:Sun %d.%m.%Y 16:00:00 %Z}" for at in _sundays()]


def test_the_duration_charts_slow_and_short_runs_are_listed_in_czech(
    czech_catalog: None, job: Job, as_role: Callable[[str], Client]
) -> None:
    for hours in range(100, 90, -1):  # ten usual runs: a minute over 4,000 rows
        ran(job, timedelta(hours=hours), 60)
    ran(job, timedelta(hours=30), 500, status=Status.FAILED)
    ran(job, timedelta(hours=29), 3.25, rows=100)

    page = as_role("viewer").get(JOB, HTTP_ACCEPT_LANGUAGE="cs").content.decode()

    assert "2 pomalé nebo podezřele krátké běhy" in page
    assert ": 1 pomalý běh, 1 podezřele krátký běh</title>" in page
    assert "pomalý: trval 8 min 20 s; obvykle hotovo do 1 min (p95 z posledních 10 běhů), pomalý po 6 min" in page
    assert "mnohem kratší než obvykle a přečetl mnohem méně řádků: 3,2 s (obvykle 1 min), 100 řádků" in page
    assert "(obvykle 4\xa0000)" in page  # the rows grouped the Czech way


def test_what_alerts_store_stays_english_whatever_the_language(czech_catalog: None) -> None:
    """Performance alerts store ``duration_text`` and ``Limits.describe()``; ``alerts/texts/`` reads them back."""
    limits = durations.Limits(1200.0, 10, 60.0, 180.0, 960.0)
    with translation.override("cs"):
        assert durations.duration_text(3.25) == "3.2 s" and durations.duration_text(3.25, localized=True) == "3,2 s"
        assert limits.describe() == (
            "usually done within 1 min (p95 of its last 10 runs), slow after 3 min; its timeout is 20 min"
        )
        assert limits.describe(localized=True).startswith("obvykle hotovo do 1 min (p95 z posledních 10 běhů)")


def _sundays() -> list[datetime]:
    """The next five Sundays at 16:00 in Prague, as the preview computes them."""
    found = cron.next_fire_times(SUNDAYS["cron"], SUNDAYS["timezone"], after=timezone.now(), count=5)
    return [at.astimezone(ZoneInfo(SUNDAYS["timezone"])) for at in found]


def test_the_chart_keeps_its_coordinates_numbers_for_the_browser_in_czech(
    czech_catalog: None, three_runs: Job, as_role: Callable[[str], Client]
) -> None:
    """Czech writes 12,5 — an SVG coordinate must stay 12.5 or the chart is not drawn. Shown failing without the
    ``{% localize off %}`` around the chart's SVG in _daily_chart.html."""
    page = as_role("viewer").get(JOB, HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    chart = page[page.index('data-testid="daily-chart"') : page.index("</svg>")]
    number, pair = r"-?\d+(\.\d+)?", r"-?\d+(\.\d+)?,-?\d+(\.\d+)?"
    single = re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height)="([^"]*)"', chart)
    points = [p for line in re.findall(r'\spoints="([^"]*)"', chart) for p in line.split()]
    assert single and points
    assert [v for v in single if not re.fullmatch(number, v)] == []
    assert [p for p in points if not re.fullmatch(pair, p)] == []
    assert any("." in value for value in single + points)  # fractions there are, written the browser's way


def test_a_bad_cron_is_refused_in_the_readers_language(
    czech_catalog: None, job: Job, as_role: Callable[[str], Client]
) -> None:
    """Shown failing with the cron parser's message unmarked (English on the Czech page)."""
    client = as_role("viewer")
    czech = client.get("/cron-preview?cron=1+2+3&timezone=Europe/Prague", HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    english = client.get("/cron-preview?cron=1+2+3&timezone=Europe/Prague", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "výraz cron musí mít 5 polí" in czech
    assert "cron expression must have 5 fields" in english
    zone = client.get("/cron-preview?cron=0+*+*+*+*&timezone=Mars/Base", HTTP_ACCEPT_LANGUAGE="cs").content.decode()
    assert "neznámé časové pásmo" in zone
