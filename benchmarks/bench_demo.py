"""Demo benchmark: ``leadflow demo`` on 10,000 leads, against storing the data alone.

Usage::

    python benchmarks/bench_demo.py [--leads 10000] [--seed 0]

Target: the whole demo (generate, store, work every lead and deal through the services,
score, report) for 10,000 leads in under 60 s on a 2-core machine.  Measured in the same
run, the baseline is the part no demo can skip: generating the organisation and storing
it in SQLite with bulk inserts (``add_many``), with no lead worked, scored or reported.
Each step's time is printed too.  One run each (the demo is seconds long, and a second
run would only warm the disk cache).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import leadflow
from leadflow.cli import main as cli
from leadflow.datasets import synthetic


def store_only(leads: int, seed: int, folder: Path) -> float:
    """Generate the organisation and bulk-insert it into a SQLite file: the baseline."""
    started = time.perf_counter()
    company = synthetic(leads=leads, seed=seed)
    with (
        leadflow.connect(f"sqlite:///{folder / 'baseline.db'}") as store,
        store.unit_of_work() as uow,
    ):
        uow.campaigns.add_many(company.campaigns)
        uow.accounts.add_many(company.accounts)
        uow.contacts.add_many(company.contacts)
        uow.leads.add_many(company.leads)
        uow.activities.add_many(company.activities)
        uow.commit()
    return time.perf_counter() - started


def bench_demo(leads: int = 10_000, seed: int = 0) -> None:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        baseline = store_only(leads, seed, folder)
        started = time.perf_counter()
        status = cli(
            [
                "demo",
                "--db",
                str(folder / "demo.db"),
                "--leads",
                str(leads),
                "--seed",
                str(seed),
                "--quiet",
            ],
            out=io.StringIO(),
        )
        elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the demo failed with status {status}")
    verdict = "met" if elapsed < 60 else "NOT met"
    print(
        f"demo, {leads:,} leads: {elapsed:.1f} s (target < 60 s: {verdict}); generating and"
        f" bulk-storing the data alone: {baseline:.1f} s (ratio {elapsed / baseline:.1f})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    bench_demo(leads=args.leads, seed=args.seed)


if __name__ == "__main__":
    main()
