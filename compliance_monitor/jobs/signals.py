"""Signals the job engine sends, so later stages (alerts) follow runs without the engine knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that finished an execution commits. Arguments: execution_id (UUID), status (str).
execution_finished = Signal()

# Sent from a running execution's heartbeat thread when it passes one of its duration limits (jobs/durations.py),
# once per limit and run. Arguments: execution_id (UUID), job_id (int), stage (durations.Stage), elapsed_seconds
# (float), limits (durations.Limits), now (datetime). Receivers must be quick: the heartbeat waits for them.
execution_slow = Signal()
