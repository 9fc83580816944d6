"""Code that runs in child processes for the reliability tests (importable by spawn)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import attrs

import leadflow
from leadflow import ConcurrencyConflict, Lead, LeadId


def increment(url: str, lead_id: str, times: int) -> int:
    """Add one to the lead's ``counter`` custom field ``times`` times; return the retries."""
    retries = 0
    store = leadflow.connect(url)
    try:
        done = 0
        while done < times:
            try:
                with store.unit_of_work(actor="worker") as uow:
                    lead = uow.leads.get(LeadId.parse(lead_id))
                    counter = int(lead.custom_fields.get("counter") or 0)
                    fields = {**lead.custom_fields, "counter": counter + 1}
                    uow.leads.update(attrs.evolve(lead, custom_fields=fields))
                    uow.commit()
                done += 1
            except ConcurrencyConflict:  # noqa: PERF203 - retrying is the point
                retries += 1
    finally:
        store.close()
    return retries


def big_commit(url: str, marker: str, count: int) -> None:
    """Add ``count`` leads in one unit of work; touch ``marker`` just before committing."""
    store = leadflow.connect(url)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.unit_of_work() as uow:
        for i in range(count):
            uow.leads.add(Lead(created_at=now, first_name=f"doomed {i}", status="new"))
            if i == count // 2:
                Path(marker).write_text("halfway")
        Path(marker).write_text("committing")
        uow.commit()
    Path(marker).write_text("committed")  # reached only if the kill came too late


ROOT = Path(__file__).resolve().parents[2]


def kill_during_big_commit(url: str, marker: Path, *, stage: str, delay: float, count: int) -> None:
    """Run :func:`big_commit` in a child process and SIGKILL it at ``stage`` plus ``delay``.

    ``stage`` is ``"halfway"`` (through the adds) or ``"committing"`` (just before the
    commit).  A kill that lands after the commit has returned finds nothing to stop.
    """
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.workers",
            "big_commit",
            url,
            str(marker),
            str(count),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and child.poll() is None:
        if marker.exists() and marker.read_text() == stage:
            break
        time.sleep(0.005)
    if not marker.exists():
        child.kill()
        raise AssertionError("the child never reached the point to kill it at")
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)  # does nothing if the child has already finished
    child.wait(timeout=60)


if __name__ == "__main__":  # python -m tests.integration.workers big_commit URL MARKER COUNT
    command, *args = sys.argv[1:]
    if command == "big_commit":
        big_commit(args[0], args[1], int(args[2]))
    elif command == "increment":
        print(increment(args[0], args[1], int(args[2])))
    time.sleep(0)
