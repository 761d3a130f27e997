from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from compliance_monitor.alerts import services
from compliance_monitor.alerts.models import Alert, EventKind, Severity, State
from compliance_monitor.alerts.tests.conftest import T0, codes, outcome


@pytest.fixture
def alert(run) -> Alert:
    run(0, outcome("MATERIAL", *codes(12)))
    return Alert.objects.get()


def test_a_critical_unacknowledged_alert_needs_immediate_attention(alert: Alert) -> None:
    assert alert.requires_immediate_attention and alert.needs_acknowledgement
    acknowledged = services.acknowledge(alert, by="alice", now=T0 + timedelta(minutes=30))
    assert not acknowledged.requires_immediate_attention and not acknowledged.needs_acknowledgement
    assert acknowledged.time_to_acknowledge == timedelta(minutes=30)


def test_a_medium_alert_does_not_need_acknowledgement(run) -> None:
    run(0, outcome("ZBOZI", "P1"))
    assert not Alert.objects.get().needs_acknowledgement


def test_resolving_needs_notes_and_acknowledges_if_nobody_did(alert: Alert) -> None:
    with pytest.raises(ValidationError, match="notes are required"):
        services.resolve(alert, by="bob", notes="  ", now=T0)

    resolved = services.resolve(alert, by="bob", notes="moved the goods", now=T0 + timedelta(hours=2))

    assert (resolved.state, resolved.resolved_by, resolved.acknowledged_by) == (State.RESOLVED, "bob", "bob")
    assert resolved.time_to_resolve == timedelta(hours=2)


def test_resolving_keeps_the_first_acknowledger(alert: Alert) -> None:
    services.acknowledge(alert, by="alice", now=T0)
    resolved = services.resolve(alert, by="bob", notes="done", now=T0 + timedelta(hours=1))
    assert (resolved.acknowledged_by, resolved.resolved_by) == ("alice", "bob")
    assert [e.kind for e in resolved.events.all()][-2:] == [EventKind.ACKNOWLEDGED, EventKind.RESOLVED]


def test_conflicting_state_changes_are_refused(alert: Alert) -> None:
    services.acknowledge(alert, by="alice", now=T0)
    with pytest.raises(services.AlertStateError, match="only an open alert"):
        services.acknowledge(alert, by="bob", now=T0)
    services.resolve(alert, by="bob", notes="done", now=T0)
    with pytest.raises(services.AlertStateError, match="already resolved"):
        services.resolve(alert, by="bob", notes="again", now=T0)


def test_queries_filter_by_state_severity_and_execution(run) -> None:
    first = run(0, outcome("MATERIAL", *codes(12)), outcome("ZBOZI", "P1"))
    critical = Alert.objects.get(warehouse="MATERIAL")
    assert list(services.active_alerts(min_severity=Severity.HIGH)) == [critical]
    assert set(services.unacknowledged()) == set(Alert.objects.all())
    assert set(services.by_execution(first.pk)) == set(Alert.objects.all())
    services.acknowledge(critical, by="a", now=T0)
    assert list(services.unacknowledged().values_list("warehouse", flat=True)) == ["ZBOZI"]


def test_statistics_over_a_period(run) -> None:
    run(0, outcome("MATERIAL", *codes(12)), outcome("ZBOZI", "P1"), outcome("POLOTOVARY", *codes(6)))
    material, zbozi = Alert.objects.get(warehouse="MATERIAL"), Alert.objects.get(warehouse="ZBOZI")
    services.acknowledge(material, by="a", now=T0 + timedelta(minutes=10))
    services.resolve(zbozi, by="b", notes="fixed", now=T0 + timedelta(minutes=30))

    stats = services.statistics(end=T0 + timedelta(days=1))

    assert (stats.total, stats.active, stats.acknowledged, stats.resolved) == (3, 2, 1, 1)
    assert stats.by_severity == {"critical": 1, "high": 1, "medium": 1}
    assert stats.by_type["compliance_violation"] == 3
    assert stats.by_warehouse == {"MATERIAL": 1, "ZBOZI": 1, "POLOTOVARY": 1}
    assert stats.mean_time_to_acknowledge_seconds == (600 + 1800) / 2
    assert stats.mean_time_to_resolve_seconds == 1800


def test_cleanup_deletes_only_old_resolved_alerts(run) -> None:
    run(0, outcome("MATERIAL", "P1"), outcome("ZBOZI", "P2"))
    old_resolved = Alert.objects.get(warehouse="MATERIAL")
    services.resolve(old_resolved, by="a", notes="done", now=T0)
    still_open = Alert.objects.get(warehouse="ZBOZI")

    deleted = services.cleanup(older_than_days=90, now=T0 + timedelta(days=91))

    assert deleted == 1 and list(Alert.objects.all()) == [still_open]
