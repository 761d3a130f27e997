from __future__ import annotations

import errno
import multiprocessing
import os
import time
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection

from compliance_monitor.jobs.broker import Channel

TRANSPORT = "compliance_monitor.jobs.broker:Transport"
PRODUCERS, PER_PRODUCER, CONSUMERS = 3, 60, 3
# Large messages widen the window between a file's creation and its last byte, where kombu's own
# transport lets a reader in (this test fails against "kombu.transport.filesystem:Transport").
PADDING = "x" * 300_000


def connection(folder: str, transport: str = TRANSPORT) -> Connection:
    options = {
        "data_folder_in": folder,
        "data_folder_out": folder,
        "control_folder": f"{folder}/control",
        "polling_interval": 0.0005,
    }
    return Connection("filesystem://", transport=transport, transport_options=options)


def produce(folder: str, n: int) -> None:
    with connection(folder) as conn, conn.SimpleQueue("runs") as queue:
        for i in range(PER_PRODUCER):
            queue.put({"id": f"{n}-{i}", "padding": PADDING})


def consume(folder: str, out: multiprocessing.Queue, seconds: float, stop: str) -> None:
    """Take messages until ``stop`` exists (between two messages, so none is half handled) or time runs out."""
    with connection(folder) as conn, conn.SimpleQueue("runs") as queue:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not os.path.exists(stop):
            try:
                message = queue.get(timeout=0.01)
            except Empty:
                continue
            except Exception as exc:  # noqa: BLE001 — reported to the test, which fails on it
                out.put(f"error: {type(exc).__name__}: {exc}")
                return
            message.ack()
            out.put(message.payload["id"])


def test_concurrent_producer_and_consumer_processes_get_every_message_exactly_once(tmp_path: Path) -> None:
    """Every message once — also after the last one: the consumers stop cleanly and whatever they took after
    the N-th message counts too (a duplicate arriving late used to go unseen). Shown failing against kombu's own
    filesystem transport (see PADDING)."""
    context = multiprocessing.get_context("spawn")  # fresh processes: no locks inherited from test threads
    out, folder, stop = context.Queue(), tmp_path / "broker", tmp_path / "stop"
    (folder / "control").mkdir(parents=True)
    expected = PRODUCERS * PER_PRODUCER
    consumers = [context.Process(target=consume, args=(str(folder), out, 120, str(stop))) for _ in range(CONSUMERS)]
    producers = [context.Process(target=produce, args=(str(folder), n)) for n in range(PRODUCERS)]
    for process in [*consumers, *producers]:
        process.start()

    received = []
    try:
        while len(received) < expected:
            received.append(out.get(timeout=60))  # generous: a lost message fails, a slow machine does not
            assert not received[-1].startswith("error"), received[-1]
        for process in producers:
            process.join(timeout=30)
        stop.touch()
        for process in consumers:
            process.join(timeout=30)
            assert process.exitcode == 0
        while True:  # what the consumers took after the N-th message (a stopped process's puts are all flushed)
            try:
                received.append(out.get(timeout=0.5))
            except Empty:
                break
    finally:
        for process in [*consumers, *producers]:
            process.terminate()
            process.join(timeout=5)

    assert sorted(received) == sorted(f"{n}-{i}" for n in range(PRODUCERS) for i in range(PER_PRODUCER))
    assert not [path for path in folder.glob("*") if path.is_file()], "messages left behind in the broker folder"


def test_an_unreadable_message_file_is_set_aside_instead_of_killing_the_worker(tmp_path: Path) -> None:
    (tmp_path / "1_broken.runs.msg").write_bytes(b"")  # what a reader saw mid-write with kombu's transport
    with connection(str(tmp_path)) as conn:
        channel = conn.default_channel
        assert isinstance(channel, Channel)
        channel._put("runs", {"body": "fine"})

        assert channel._get("runs") == {"body": "fine"}
        with pytest.raises(Empty):
            channel._get("runs")
    (leftover,) = [path.name for path in tmp_path.iterdir() if path.name != "control"]
    assert leftover.startswith(".corrupt-.claimed-") and leftover.endswith("1_broken.runs.msg")


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_a_broker_folder_that_cannot_be_written_is_a_clear_error_leaving_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int
) -> None:
    from compliance_monitor.jobs import broker

    def full(path: Path, data: bytes) -> None:
        path.write_bytes(data[:10])  # a partial write, then the disk says no
        raise OSError(error, os.strerror(error))

    with connection(str(tmp_path)) as conn:
        channel = conn.default_channel  # the transport's own put and get (a producer adds routing on top)
        monkeypatch.setattr(broker.Channel, "_write", staticmethod(full))
        with pytest.raises(broker.BrokerWriteError, match=f"cannot be written: {os.strerror(error)}"):
            channel._put("runs", {"id": "lost?"})
        assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []  # no half-written file left behind

        monkeypatch.undo()  # the disk has room again
        channel._put("runs", {"id": "sent"})
        assert channel._get("runs") == {"id": "sent"}


@pytest.mark.django_db(transaction=True)  # the message is sent after the commit
def test_a_run_triggered_while_the_broker_cannot_write_stays_queued_for_the_reaper_and_the_error_is_logged(
    make_job, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.conf import settings
    from django.utils import timezone

    from compliance_monitor.jobs import broker, services
    from compliance_monitor.jobs.models import Execution, Status

    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        pytest.skip("the embedded profile's broker only")

    def full(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(broker.Channel, "_write", staticmethod(full))

    execution = services.trigger(make_job(), by="someone", now=timezone.now())

    assert Execution.objects.get(pk=execution.pk).status == Status.QUEUED  # kept: the reaper sends it again
    logged = " ".join(str(record.msg) for record in caplog.records)
    assert "broker_publish_failed" in logged and "No space left on device" in logged
