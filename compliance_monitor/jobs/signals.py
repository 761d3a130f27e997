"""Signals the job engine sends, so later stages (alerts) follow runs without the engine knowing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that finished an execution commits. Arguments: execution_id (UUID), status (str).
execution_finished = Signal()
