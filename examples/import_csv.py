"""Import a lead list from CSV: keep the good rows, report the bad ones, never import twice.

Run it with ``python examples/import_csv.py [--leads N] [--bad-rows K]``.

The list is a synthetic company's leads as an export would have them (messy spacing,
"n/a" cells, sources in mixed case, some times without an offset), with ``K`` bad rows
added: an e-mail address that is not one, a date that is not a date, a negative company
size.  The script reads it with a column mapping
(:data:`leadflow.datasets.LEADS_MAPPING`), writes the rejected rows to a CSV file with
the row number, the column, the value and the reason, stores the good ones in a SQLite
file in batches, and then imports the same file again to show that nothing is added
twice.  ``leadflow import leads FILE --map MAPPING`` does the same from the shell.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections.abc import Sequence
from pathlib import Path

import leadflow
from leadflow import Lead, Query
from leadflow.datasets import LEADS_MAPPING, synthetic
from leadflow.services import import_leads
from leadflow.tabular import ColumnMapping, read_leads


def main(argv: Sequence[str] | None = None) -> int:
    """Write the list, import it twice, print what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000)
    parser.add_argument("--bad-rows", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="leadflow-import-"))
    export = folder / "leads.csv"
    synthetic(leads=arguments.leads, seed=arguments.seed).write_leads_csv(
        export, bad_rows=arguments.bad_rows
    )
    mapping = ColumnMapping.from_toml(LEADS_MAPPING)
    url = f"sqlite:///{folder / 'crm.db'}"

    for attempt in ("first", "second"):
        result = read_leads(export, mapping)
        rejects = folder / "leads.rejects.csv"
        result.write_rejects(rejects)
        with leadflow.connect(url) as store:
            summary = import_leads(store, result.leads, result.activities, batch_size=250)
            with store.unit_of_work() as uow:
                stored = uow.leads.count(Query(Lead))
        print(
            f"{attempt} import: {result.rows:,} rows, {result.rejected_rows} rejected;"
            f" {summary.added:,} leads added, {summary.skipped:,} already stored"
            f" ({summary.batches} batches); {stored:,} leads in the database"
        )
    print()
    print(result)  # what the reading changed and refused, in words
    print()
    with rejects.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            print(f"rejected row {row['row']}, {row['column']} = {row['value']!r}: {row['reason']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
