"""Tables of rows: plain records, aligned text, and optional pandas frames (private module)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

import attrs
from attrs import AttrsInstance

from leadflow._fields import to_tuple


def to_frame(records: Iterable[Mapping[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` with one row per record; a clear ImportError without pandas.

    pandas is optional, so it is imported here, when a frame is asked for, and the
    return type is ``Any`` so that type checking does not need pandas' stubs.
    """
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 - optional, imported on use
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_frame() needs pandas: pip install 'leadflow[frames]' (or pandas)"
        ) from None
    return pandas.DataFrame.from_records(list(records))


_R = TypeVar("_R", bound=AttrsInstance)


def cell(value: Any, *, percent: bool = False) -> str:
    """One value as table text; ``None`` as nothing, undefined (NaN) as ``-``.

    Floats show four decimals, or one as a percentage with ``percent``.
    """
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.1%}" if percent else f"{value:.4f}"
    return "" if value is None else str(value)


def text_table(
    columns: Sequence[str],
    records: Sequence[Mapping[str, Any]],
    *,
    percent: Iterable[str] = (),
    text: Callable[[Any], str] = cell,
) -> str:
    """Aligned columns with a header line: numbers to the right, text to the left.

    Columns named in ``percent`` show their fractions as percentages; ``text`` writes
    every other value (:func:`cell` by default).
    """
    shown = frozenset(percent)
    cells = [
        [cell(record[c], percent=True) if c in shown else text(record[c]) for c in columns]
        for record in records
    ]
    widths = [
        max([len(column), *(len(row[i]) for row in cells)]) for i, column in enumerate(columns)
    ]
    numeric = [
        bool(records)
        and all(
            record[column] is None or isinstance(record[column], int | float | Decimal)
            for record in records
        )
        for column in columns
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    return "\n".join([line(columns), *(line(row) for row in cells)])


@attrs.frozen(kw_only=True)
class Table(Generic[_R]):
    """Rows of one kind, as records, a DataFrame or aligned text (private base)."""

    #: The row class, whose fields are the table's columns.
    _row: ClassVar[type[AttrsInstance]]

    #: The rows, in the table's order.
    rows: tuple[_R, ...] = attrs.field(converter=to_tuple)

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """The column names: the row class's fields, in order."""
        return tuple(field.name for field in attrs.fields(cls._row))

    def records(self) -> list[dict[str, Any]]:
        """One plain dict per row, keyed by column name."""
        return [attrs.asdict(row, recurse=False) for row in self.rows]

    def to_frame(self) -> Any:
        """The records as a ``pandas.DataFrame`` (needs pandas)."""
        return to_frame(self.records())

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[_R]:
        return iter(self.rows)

    def __str__(self) -> str:
        return text_table(self.columns(), self.records())
