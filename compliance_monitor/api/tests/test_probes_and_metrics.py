from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from compliance_monitor.alerts.models import Alert
from compliance_monitor.jobs.models import Beacon, Execution


def test_liveness_needs_no_credentials(db) -> None:
    assert Client().get("/healthz/live").json() == {"status": "alive"}


def test_readiness_reports_each_dependency_and_fails_without_a_recent_sweep(db) -> None:
    stale = Client().get("/healthz/ready")
    assert stale.status_code == 503
    checks = stale.json()["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"] and not checks["scheduler"]["ok"]

    Beacon.objects.create(name="sweep", seen_at=timezone.now() - timedelta(seconds=10))
    no_run_worker = Client().get("/healthz/ready")
    assert no_run_worker.status_code == 503 and not no_run_worker.json()["checks"]["run_workers"]["ok"]

    Beacon.objects.create(name="runs", seen_at=timezone.now() - timedelta(seconds=5))
    assert Client().get("/healthz/ready").status_code == 200

    Beacon.objects.filter(name="sweep").update(seen_at=timezone.now() - timedelta(hours=1))
    assert Client().get("/healthz/ready").status_code == 503


def test_the_sweep_and_the_run_worker_ping_keep_their_beacons_fresh(db) -> None:
    from compliance_monitor.jobs.tasks import ping_runs, sweep

    sweep()
    ping_runs()
    for name in ("sweep", "runs"):
        assert timezone.now() - Beacon.objects.get(name=name).seen_at < timedelta(seconds=5)


def test_a_busy_run_worker_counts_as_seen(db, job) -> None:
    Beacon.objects.create(name="sweep", seen_at=timezone.now())
    Execution.objects.create(
        job=job, trigger="manual", queued_at=timezone.now(), status="running", heartbeat_at=timezone.now()
    )
    assert Client().get("/healthz/ready").status_code == 200


def test_metrics_need_a_viewer(as_role, db) -> None:
    assert as_role("anonymous").client.get("/metrics").status_code == 401
    nobody = as_role("viewer")
    assert nobody.client.get("/metrics", **nobody.headers).status_code == 200


def test_metrics_expose_runs_durations_jobs_alerts_and_deliveries(as_role, job) -> None:
    now = timezone.now()
    Execution.objects.create(job=job, trigger="manual", queued_at=now, status="succeeded", duration_seconds=3)
    Execution.objects.create(job=job, trigger="manual", queued_at=now, status="failed", duration_seconds=700)
    Alert.objects.create(
        type="compliance_violation", severity=4, fingerprint="f", title="t", raised_at=now, last_seen_at=now
    )
    viewer = as_role("viewer")

    text = viewer.client.get("/metrics", **viewer.headers).content.decode()

    for line in (
        'compliance_runs_total{job="compliance",status="succeeded"} 1.0',
        'compliance_runs_total{job="compliance",status="failed"} 1.0',
        'compliance_run_duration_seconds_bucket{le="5.0"} 1.0',
        'compliance_run_duration_seconds_bucket{le="1200.0"} 2.0',
        "compliance_run_duration_seconds_sum 703.0",
        'compliance_job_enabled{job="compliance"} 1.0',
        'compliance_open_alerts{severity="critical"} 1.0',
        'compliance_open_alerts{severity="low"} 0.0',
    ):
        assert line in text, line


def test_readiness_and_metrics_show_the_supervised_processes_and_their_restarts(as_role, db, settings, tmp_path):
    import json
    import os

    settings.DATA_DIR = tmp_path
    Beacon.objects.create(name="sweep", seen_at=timezone.now())
    Beacon.objects.create(name="runs", seen_at=timezone.now())
    processes = {"web": {"running": True, "restarts": 0}, "beat": {"running": False, "restarts": 3}}
    (tmp_path / "supervisor.json").write_text(json.dumps({"supervisor_pid": os.getpid(), "processes": processes}))

    ready = Client().get("/healthz/ready")

    assert ready.status_code == 503  # beat is down, waiting for its restart
    assert ready.json()["checks"]["processes"] == {"ok": False, "processes": processes}
    admin = as_role("admin")
    metrics = admin.client.get("/metrics", **admin.headers).content.decode()
    assert 'compliance_process_restarts_total{process="beat"} 3.0' in metrics
    assert 'compliance_process_up{process="web"} 1.0' in metrics

    processes["beat"]["running"] = True
    (tmp_path / "supervisor.json").write_text(json.dumps({"supervisor_pid": os.getpid(), "processes": processes}))
    assert Client().get("/healthz/ready").status_code == 200
