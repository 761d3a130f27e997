"""Run a command (``python -m …`` style arguments) with the clock moved to a given start time.

Used to start beat a few seconds before a cron boundary, so a schedule test waits seconds, not a
minute. The clock keeps ticking at real speed from there.
"""

from __future__ import annotations

import runpy
import sys
import time
from datetime import datetime

import time_machine

if __name__ == "__main__":
    start = datetime.fromisoformat(sys.argv[1])
    module_args = sys.argv[2:]  # e.g. ["-m", "celery", "-A", ...]
    assert module_args[0] == "-m"
    real_start = time.time()
    time_machine.travel(start, tick=True).start()
    # Lets a reader map fake times back to real ones (benchmarks measure cron latency this way).
    print(f"fake-clock real_start={real_start} fake_start={start.timestamp()}", flush=True)
    sys.argv = [module_args[1], *module_args[2:]]
    runpy.run_module(module_args[1], run_name="__main__", alter_sys=True)
