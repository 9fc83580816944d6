"""Import leads and their activities from tables: CSV files, text streams or rows of dicts.

A :class:`ColumnMapping` says which column feeds which lead field, how its text is
read (text, number, integer, boolean or date-time), which placeholder values mean
"not filled", where each lead's ``created_at`` comes from and which label columns
become activities.  It is plain data, loadable from TOML or JSON::

    missing = ["Select", "NA"]
    created_at = "2024-01-01T00:00:00+00:00"   # or { column = "Created" }
    time_zone = "UTC"                          # for date-times written without an offset

    [columns]
    "Prospect ID" = "external_id"
    "Lead Source" = "source"
    "TotalVisits" = { field = "custom.TotalVisits", type = "number" }

    [[activities]]
    column = "Last Activity"
    kinds = { "Email Opened" = "email_open", "Page Visited on Website" = "web_visit" }

:func:`read_leads` applies it row by row.  A row with a bad value is rejected with
one :class:`Rejection` per problem (row, column, value and reason) and produces
nothing; every other row still imports.  The :class:`ImportResult` also lists the
columns nobody mapped, the labels folded to one spelling and the activity labels
skipped, so that nothing is changed or dropped without being reported.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO, TypeVar, cast

import attrs

from leadflow._config import (
    Reader,
    choice,
    load_file,
    load_json,
    load_toml,
    nested,
    require_text,
    time_zone,
)
from leadflow._fields import FrozenMap, parse_iso_datetime, to_tuple
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.errors import ROOT, InvalidConfiguration, ValidationError
from leadflow.leads import Lead
from leadflow.values import Consent, EmailAddress, PhoneNumber, StrEnum, Touchpoint

__all__ = [
    "ActivityColumn",
    "Column",
    "ColumnMapping",
    "ColumnType",
    "ImportResult",
    "Normalisation",
    "Rejection",
    "SkippedLabel",
    "TimeColumn",
    "read_leads",
]

_T = TypeVar("_T")

#: What :func:`read_leads` reads: a CSV file's path, a text stream of CSV, or rows of dicts.
_Source = str | os.PathLike[str] | TextIO | Iterable[Mapping[str, Any]]


class ColumnType(StrEnum):
    """How the text of a column is read."""

    #: Text as written, surrounding whitespace removed.
    TEXT = "text"
    #: A decimal number (``12``, ``-3.5``, ``1e3``), kept as a float.
    NUMBER = "number"
    #: A whole number (``12``; ``12.0`` too, but not ``12.5``).
    INTEGER = "integer"
    #: ``yes``/``no``, ``true``/``false``, ``y``/``n`` or ``1``/``0``, in any case.
    BOOLEAN = "boolean"
    #: An ISO 8601 date-time (or one in the column's ``format``).
    DATETIME = "datetime"


# ======================================================================== targets

#: Reading a column but keeping nothing of it (so that it is not reported as unmapped).
_IGNORE = "ignore"
_CUSTOM = "custom."

#: Lead attributes a column may fill, with the types they take (the first is the default).
_LEAD_FIELDS: dict[str, tuple[ColumnType, ...]] = {
    "first_name": (ColumnType.TEXT,),
    "last_name": (ColumnType.TEXT,),
    "title": (ColumnType.TEXT,),
    "email": (ColumnType.TEXT,),
    "phone": (ColumnType.TEXT,),
    "company": (ColumnType.TEXT,),
    "website": (ColumnType.TEXT,),
    "industry": (ColumnType.TEXT,),
    "company_size": (ColumnType.INTEGER,),
    "country": (ColumnType.TEXT,),
    "owner": (ColumnType.TEXT,),
    "external_id": (ColumnType.TEXT,),
    "status": (ColumnType.TEXT,),
}
#: Fields of the lead's first touch (:class:`~leadflow.values.Touchpoint`).
_TOUCH_FIELDS = ("source", "medium", "campaign", "ad_code", "term", "referrer", "landing_page")
#: Consent targets: a true value records the request on this channel of ``Lead.consent``.
_CONSENT_FIELDS = {
    "do_not_email": "email",
    "do_not_call": "phone",
    "do_not_contact": "do_not_contact",
}
#: Categorical text targets whose spellings are folded by default (custom text ones too).
_FOLDED = frozenset({"industry", "country", "status", "source", "medium", "campaign", "term"})

_TARGETS: dict[str, tuple[ColumnType, ...]] = {
    **_LEAD_FIELDS,
    **dict.fromkeys(_TOUCH_FIELDS, (ColumnType.TEXT,)),
    **dict.fromkeys(_CONSENT_FIELDS, (ColumnType.BOOLEAN,)),
}
_ALL_TYPES = tuple(ColumnType)


def _types_of(field: str) -> tuple[ColumnType, ...] | None:
    """The types target ``field`` takes (the first is its default); ``None`` if unknown."""
    if field == _IGNORE or (field.startswith(_CUSTOM) and field[len(_CUSTOM) :].strip()):
        return _ALL_TYPES
    return _TARGETS.get(field)


def _default_type(field: str) -> ColumnType:
    types = _types_of(field) if isinstance(field, str) else None
    return types[0] if types else ColumnType.TEXT


def _default_fold(field: str, kind: ColumnType) -> bool:
    if kind is not ColumnType.TEXT or not isinstance(field, str):
        return False
    return field in _FOLDED or field.startswith(_CUSTOM)


def _quote(name: str) -> str:
    """A key as written in a key path: always quoted, as TOML would (``columns."Lead Source"``)."""
    return json.dumps(name, ensure_ascii=False)


# ===================================================================== the mapping


def _column_type(value: ColumnType | str) -> ColumnType:
    return choice(ColumnType, value, key="type", what="type")


def _column_type_default(column: Column) -> ColumnType:
    return _default_type(column.field)


def _column_fold_default(column: Column) -> bool:
    return _default_fold(column.field, column.type)


@attrs.frozen(kw_only=True)
class Column:
    """How one column of the table fills one field of each lead.

    ``field`` is a lead attribute (``first_name``, ``last_name``, ``title``,
    ``email``, ``phone``, ``company``, ``website``, ``industry``, ``company_size``,
    ``country``, ``owner``, ``external_id``, ``status``), a field of the lead's first
    touch (``source``, ``medium``, ``campaign``, ``ad_code``, ``term``,
    ``referrer``, ``landing_page``), a consent request (``do_not_email``,
    ``do_not_call``, ``do_not_contact``: a true value records it), a custom field
    (``custom.<name>``) or ``ignore``.  ``type`` defaults to what the field takes
    (``integer`` for ``company_size``, ``boolean`` for consent, else ``text``).

    ``fold`` (text columns only) folds spellings that differ only in case to the
    first one met in the table, rejected rows included (so that fixing a row does
    not change the spelling the others get); it is on by default for categorical fields
    (``industry``, ``country``, ``status``, ``source``, ``medium``, ``campaign``,
    ``term`` and custom text fields) and off for names, identifiers, addresses and
    codes.  ``format`` (date-time columns only) is a :meth:`~datetime.datetime.strptime`
    format for date-times that are not ISO 8601.
    """

    #: The column's name in the table's header.
    name: str
    #: The target the column fills.
    field: str
    type: ColumnType = attrs.field(
        default=attrs.Factory(_column_type_default, takes_self=True), converter=_column_type
    )
    fold: bool = attrs.field(default=attrs.Factory(_column_fold_default, takes_self=True))
    format: str | None = None

    def __attrs_post_init__(self) -> None:
        require_text("name", self.name)
        require_text("field", self.field)
        types = _types_of(self.field)
        if types is None:
            expected = ", ".join([*_TARGETS, "custom.<name>", _IGNORE])
            raise InvalidConfiguration(
                key="field", reason=f"unknown target; expected one of: {expected}", value=self.field
            )
        if self.type not in types:
            allowed = " or ".join(t.value for t in types)
            raise InvalidConfiguration(
                key="type", reason=f"{self.field} takes {allowed} values", value=self.type.value
            )
        if not isinstance(self.fold, bool):
            raise InvalidConfiguration(key="fold", reason="must be true or false", value=self.fold)
        if self.fold and self.type is not ColumnType.TEXT:
            raise InvalidConfiguration(
                key="fold", reason="only text columns can be folded", value=self.fold
            )
        if self.format is not None:
            require_text("format", self.format)
            if self.type is not ColumnType.DATETIME:
                raise InvalidConfiguration(
                    key="format", reason="applies to datetime columns only", value=self.format
                )


@attrs.frozen(kw_only=True)
class TimeColumn:
    """A date-time read from a column of each row, rather than one fixed time.

    Values are ISO 8601 (``2024-03-01``, ``2024-03-01T09:30:00+01:00``) unless
    ``format`` gives a :meth:`~datetime.datetime.strptime` format; values without
    an offset are read in the mapping's ``time_zone``.
    """

    column: str
    format: str | None = None

    def __attrs_post_init__(self) -> None:
        require_text("column", self.column)
        if self.format is not None:
            require_text("format", self.format)


def _kinds(
    value: Mapping[str, ActivityKind | str | None],
) -> FrozenMap[str, ActivityKind | None]:
    if not isinstance(value, Mapping):
        raise InvalidConfiguration(key="kinds", reason="must be a table of labels", value=value)
    kinds: dict[str, ActivityKind | None] = {}
    seen: dict[str, str] = {}
    for label, kind in value.items():
        key = f"kinds.{_quote(str(label))}"
        if not isinstance(label, str) or not label.strip():
            raise InvalidConfiguration(key=key, reason="a label must be a non-empty text")
        folded = label.strip().casefold()
        if folded in seen:
            raise InvalidConfiguration(
                key=key,
                reason=f"repeats the label {seen[folded]!r} (labels match case-insensitively)",
            )
        seen[folded] = label
        if kind is None or kind == _IGNORE:
            kinds[label] = None
            continue
        try:
            kinds[label] = ActivityKind(kind)
        except ValueError:
            expected = ", ".join([*(k.value for k in ActivityKind), _IGNORE])
            raise InvalidConfiguration(
                key=key, reason=f"unknown activity kind; expected one of: {expected}", value=kind
            ) from None
    if not kinds:
        raise InvalidConfiguration(key="kinds", reason="needs at least one label")
    return FrozenMap(kinds)


def _direction(value: Direction | str | None) -> Direction | None:
    if value is None:
        return None
    try:
        return Direction(value)
    except ValueError:
        raise InvalidConfiguration(
            key="direction", reason="must be inbound or outbound", value=value
        ) from None


def _check_time(key: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, TimeColumn):
        return
    if not isinstance(value, datetime):
        raise InvalidConfiguration(
            key=key, reason="must be a date-time or a table with column = ...", value=value
        )
    if value.utcoffset() is None:
        raise InvalidConfiguration(
            key=key, reason="is a date-time without a UTC offset; give it one", value=value
        )


@attrs.frozen(kw_only=True)
class ActivityColumn:
    """A column of labels, each row's label becoming one activity of the row's lead.

    ``kinds`` maps labels to activity kinds (or to ``"ignore"``/``None`` for labels
    that are known but make no activity); labels match case-insensitively and the
    activity's subject is the label as written in ``kinds``.  A label not in
    ``kinds`` is skipped and reported, or rejects its row when ``strict``.  The
    activity happened at ``occurred_at`` (a fixed time or a :class:`TimeColumn`), by
    default at the lead's ``created_at``.
    """

    column: str
    kinds: Mapping[str, ActivityKind | None] = attrs.field(converter=_kinds)
    direction: Direction | None = attrs.field(default=None, converter=_direction)
    occurred_at: datetime | TimeColumn | None = None
    strict: bool = False

    def __attrs_post_init__(self) -> None:
        require_text("column", self.column)
        _check_time("occurred_at", self.occurred_at, optional=True)
        if not isinstance(self.strict, bool):
            raise InvalidConfiguration(
                key="strict", reason="must be true or false", value=self.strict
            )


@attrs.frozen(kw_only=True)
class ColumnMapping:
    """How the columns of a table become leads and activities: see the module's docs.

    ``created_at`` is one fixed, aware date-time for every lead or a
    :class:`TimeColumn`; ``time_zone`` (an IANA name, UTC by default) places
    date-times written without an offset.  Empty cells are always missing; the
    ``missing`` placeholders (``"Select"``, ``"NA"``) are too, compared
    case-insensitively after removing surrounding whitespace.  ``delimiter`` is the
    CSV field separator.  A mapping that is not valid raises
    :class:`~leadflow.errors.InvalidConfiguration` naming the key path
    (``columns."Lead Source".type``).
    """

    columns: tuple[Column, ...] = attrs.field(converter=to_tuple)
    created_at: datetime | TimeColumn
    time_zone: str = "UTC"
    missing: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    activities: tuple[ActivityColumn, ...] = attrs.field(default=(), converter=to_tuple)
    delimiter: str = ","

    def __attrs_post_init__(self) -> None:
        _check_time("created_at", self.created_at)
        time_zone(self.time_zone)
        for i, placeholder in enumerate(self.missing):
            if not isinstance(placeholder, str):
                raise InvalidConfiguration(
                    key=f"missing[{i}]", reason="must be a text", value=placeholder
                )
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            raise InvalidConfiguration(
                key="delimiter", reason="must be one character", value=self.delimiter
            )
        if not self.columns:
            raise InvalidConfiguration(key="columns", reason="needs at least one column")
        names: set[str] = set()
        targets: dict[str, str] = {}
        for column in self.columns:
            if not isinstance(column, Column):
                raise InvalidConfiguration(key="columns", reason="must hold Columns", value=column)
            key = f"columns.{_quote(column.name)}"
            if column.name in names:
                raise InvalidConfiguration(key=key, reason="is mapped twice")
            names.add(column.name)
            if column.field == _IGNORE:
                continue
            if column.field in targets:
                raise InvalidConfiguration(
                    key=f"{key}.field",
                    reason=f"fills {column.field}, as {targets[column.field]} does",
                    value=column.field,
                )
            targets[column.field] = key
        for i, activity in enumerate(self.activities):
            if not isinstance(activity, ActivityColumn):
                raise InvalidConfiguration(
                    key=f"activities[{i}]", reason="must be an ActivityColumn", value=activity
                )

    # ----------------------------------------------------------------------- data

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data, the inverse of :meth:`from_dict`."""
        data: dict[str, Any] = {
            "created_at": _time_to_data(self.created_at),
            "time_zone": self.time_zone,
            "missing": list(self.missing),
        }
        if self.delimiter != ",":
            data["delimiter"] = self.delimiter
        data["columns"] = {column.name: _column_to_data(column) for column in self.columns}
        if self.activities:
            data["activities"] = [_activity_to_data(a) for a in self.activities]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """Build a mapping from plain data, as :meth:`to_dict` writes or a TOML/JSON file holds.

        Anything wrong raises :class:`~leadflow.errors.InvalidConfiguration` naming
        the key path (``columns."TotalVisits".type``, ``activities[0].kinds."Opened"``).
        """
        reader = Reader(data, "$")
        created_at = _time_from(reader.raw("created_at"), "created_at")
        if created_at is None:
            raise InvalidConfiguration(
                key="created_at",
                reason="is required: a fixed date-time or a table with column = ...",
            )
        time_zone = reader.optional_text("time_zone") or "UTC"
        missing = reader.list("missing", required=False)
        delimiter = reader.raw("delimiter")
        table = _required_table(reader, "columns")
        columns = [_column_from(name, spec) for name, spec in table.data.items()]
        activities = [_activity_from(r) for r in reader.tables("activities", required=False)]
        reader.done()
        try:
            return cls(
                columns=columns,
                created_at=created_at,
                time_zone=time_zone,
                missing=missing,
                activities=activities,
                delimiter="," if delimiter is None else delimiter,
            )
        except InvalidConfiguration as error:
            # A shorthand column ("Name" = "target") has no .field key of its own.
            shorthand = {
                f"columns.{_quote(str(name))}.field"
                for name, spec in table.data.items()
                if isinstance(spec, str)
            }
            if error.key in shorthand:
                raise _at(error, error.key.removesuffix(".field")) from None
            raise

    @classmethod
    def from_toml(cls, text: str) -> ColumnMapping:
        """Build a mapping from TOML text."""
        return cls.from_dict(load_toml(text))

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """Build a mapping from JSON text."""
        return cls.from_dict(load_json(text))

    @classmethod
    def load(cls, path: str | Path) -> ColumnMapping:
        """Build a mapping from a ``.toml`` or ``.json`` file."""
        return cls.from_dict(load_file(path))


def _required_table(reader: Reader, name: str) -> Reader:
    table = reader.table(name, required=True)
    if table is None:  # pragma: no cover - required=True raises instead
        raise reader.fail(name, "is required")
    return table


def _time_to_data(value: datetime | TimeColumn) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    data = {"column": value.column}
    if value.format is not None:
        data["format"] = value.format
    return data


def _column_to_data(column: Column) -> Any:
    plain = (
        column.type is _default_type(column.field)
        and column.fold == _default_fold(column.field, column.type)
        and column.format is None
    )
    if plain:
        return column.field
    data: dict[str, Any] = {"field": column.field, "type": column.type.value}
    if column.fold != _default_fold(column.field, column.type):
        data["fold"] = column.fold
    if column.format is not None:
        data["format"] = column.format
    return data


def _activity_to_data(activity: ActivityColumn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "column": activity.column,
        "kinds": {
            label: _IGNORE if kind is None else kind.value for label, kind in activity.kinds.items()
        },
    }
    if activity.direction is not None:
        data["direction"] = activity.direction.value
    if activity.occurred_at is not None:
        data["occurred_at"] = _time_to_data(activity.occurred_at)
    if activity.strict:
        data["strict"] = True
    return data


def _time_from(value: Any, key: str) -> datetime | TimeColumn | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        reader = Reader(value, key)
        spec = TimeColumn(column=reader.text("column"), format=reader.optional_text("format"))
        reader.done()
        return spec
    if isinstance(value, datetime):
        return value  # a TOML date-time; the mapping checks it has an offset
    if isinstance(value, str):
        try:
            return parse_iso_datetime(value.strip())
        except ValueError:
            pass
    raise InvalidConfiguration(
        key=key,
        reason="must be an ISO 8601 date-time with an offset or a table with column = ...",
        value=value,
    )


def _column_from(name: Any, spec: Any) -> Column:
    key = f"columns.{_quote(str(name))}"
    if isinstance(spec, str):
        try:
            return Column(name=name, field=spec)
        except InvalidConfiguration as error:
            # The shorthand "Column" = "target" has no key of its own for the target.
            raise (nested(error, key) if error.key != "field" else _at(error, key)) from None
    if not isinstance(spec, Mapping):
        raise InvalidConfiguration(
            key=key, reason="must be a target name or a table with field = ...", value=spec
        )
    reader = Reader(spec, key)
    options: dict[str, Any] = {"name": name, "field": reader.text("field")}
    if reader.has("type"):
        options["type"] = reader.text("type")
    if reader.has("fold"):
        options["fold"] = reader.flag("fold")
    if reader.has("format"):
        options["format"] = reader.text("format")
    reader.done()
    try:
        return Column(**options)
    except InvalidConfiguration as error:
        raise nested(error, key) from None


def _at(error: InvalidConfiguration, key: str) -> InvalidConfiguration:
    return InvalidConfiguration(key=key, reason=error.reason, value=error.value)


def _activity_from(reader: Reader) -> ActivityColumn:
    column = reader.text("column")
    kinds = _required_table(reader, "kinds")
    for label, kind in kinds.data.items():
        if not isinstance(kind, str):
            raise InvalidConfiguration(
                key=f"{kinds.key}.{_quote(str(label))}",
                reason="must be an activity kind (text) or ignore",
                value=kind,
            )
    direction = reader.optional_text("direction")
    occurred_at = _time_from(reader.raw("occurred_at"), reader.path("occurred_at"))
    strict = reader.flag("strict")
    reader.done()
    try:
        return ActivityColumn(
            column=column,
            kinds=kinds.data,
            direction=direction,
            occurred_at=occurred_at,
            strict=strict,
        )
    except InvalidConfiguration as error:
        raise nested(error, reader.key) from None


# ====================================================================== the result


@attrs.frozen(kw_only=True)
class Rejection:
    """One problem that kept a row from being imported.

    ``row`` counts data rows from 1 (see :func:`read_leads`); ``column`` is the
    column's name (empty when the problem concerns the whole row); ``value`` is the
    cell as read.
    """

    row: int
    column: str
    value: object
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.value!r} {self.reason}"


@attrs.frozen(kw_only=True)
class Normalisation:
    """Spellings of a label folded into the first one met: ``google`` became ``Google``."""

    column: str
    #: The spelling in the table.
    original: str
    #: The spelling the imported leads carry instead.
    normalised: str
    #: How many imported rows had the ``original`` spelling.
    count: int

    def __str__(self) -> str:
        return f"{self.column}: {self.original!r} -> {self.normalised!r} ({_rows(self.count)})"


@attrs.frozen(kw_only=True)
class SkippedLabel:
    """A label of an activity column that no ``kinds`` entry names; it made no activity."""

    column: str
    #: The label, as first spelled in the table.
    label: str
    #: How many imported rows had it.
    count: int

    def __str__(self) -> str:
        return f"{self.column}: {self.label!r} ({_rows(self.count)})"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _cell_text(value: object) -> str:
    return "" if value is None else str(value)


@attrs.frozen(kw_only=True)
class ImportResult:
    """What :func:`read_leads` made of a table, and what it refused or changed."""

    #: One lead per imported row, in the table's order.
    leads: tuple[Lead, ...] = attrs.field(converter=to_tuple)
    #: The activities of the imported rows, each with its lead's ``lead_id``.
    activities: tuple[Activity, ...] = attrs.field(converter=to_tuple)
    #: Every problem of every rejected row.
    rejected: tuple[Rejection, ...] = attrs.field(converter=to_tuple)
    #: Columns of the table that the mapping does not mention, in the table's order.
    unmapped_columns: tuple[str, ...] = attrs.field(converter=to_tuple)
    #: Spellings folded into another (see :attr:`Column.fold`).
    normalised: tuple[Normalisation, ...] = attrs.field(converter=to_tuple)
    #: Activity labels that made no activity because ``kinds`` does not name them.
    skipped_labels: tuple[SkippedLabel, ...] = attrs.field(default=(), converter=to_tuple)
    #: How many data rows were read.
    rows: int

    @property
    def rejected_rows(self) -> int:
        """How many rows were rejected."""
        return len({r.row for r in self.rejected})

    def __str__(self) -> str:
        lines = [
            f"{_rows(self.rows)} read: {len(self.leads)} leads and {len(self.activities)} "
            f"activities imported, {_rows(self.rejected_rows)} rejected"
            + (f" ({len(self.rejected)} problems)" if self.rejected else "")
        ]
        lines.extend(_listed("rejected", self.rejected, more="see write_rejects()"))
        if self.unmapped_columns:
            shown = ", ".join(self.unmapped_columns[:8])
            more = len(self.unmapped_columns) - 8
            lines.append(
                f"unmapped columns ({len(self.unmapped_columns)}): {shown}"
                + (f", ... and {more} more" if more > 0 else "")
            )
        lines.extend(_listed("normalised", self.normalised))
        lines.extend(_listed("skipped labels", self.skipped_labels))
        return "\n".join(lines)

    def write_rejects(self, path: str | os.PathLike[str]) -> None:
        """Write the rejections to a CSV file with the columns row, column, value, reason."""
        with open(path, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["row", "column", "value", "reason"])
            writer.writerows(
                [r.row, r.column, _cell_text(r.value), r.reason] for r in self.rejected
            )


def _listed(title: str, items: tuple[object, ...], *, more: str = "", limit: int = 5) -> list[str]:
    if not items:
        return []
    lines = [f"{title}:"] + [f"  {item}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"  ... and {len(items) - limit} more" + (f" ({more})" if more else ""))
    return lines


# ====================================================================== reading


def read_leads(
    source: _Source, mapping: ColumnMapping, *, strict_columns: bool = True
) -> ImportResult:
    """Build leads and activities from the rows of a table, as ``mapping`` says.

    ``source`` is the path of a CSV file (read as UTF-8, with or without a byte
    order mark; the first line is the header), a text stream of CSV, or an iterable
    of dicts keyed by column name (a missing key or a ``None`` or NaN value is an
    empty cell; values may already be numbers, booleans or date-times).

    Rows are numbered from 1 for the first data row: the header of a CSV file is
    not counted, and a row whose quoted cells span several lines is still one row.

    With ``strict_columns`` (the default), a column the mapping reads that the
    table does not have raises :class:`~leadflow.errors.InvalidConfiguration` naming
    the key path and the column; without it, such a column counts as empty in every
    row.  A row with a bad value is rejected: :attr:`ImportResult.rejected` gets one
    :class:`Rejection` per problem and the row makes no lead and no activity.
    A CSV file that cannot be read at all (not UTF-8, a NUL byte) raises
    :class:`~leadflow.errors.ValidationError`.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8-sig", newline="") as stream:
            return _read_csv(stream, mapping, strict_columns, name=os.fspath(source))
    if hasattr(source, "read"):
        text = cast(TextIO, source)
        return _read_csv(text, mapping, strict_columns, name=getattr(text, "name", "stream"))
    return _read_dicts(source, mapping, strict_columns)


def _unreadable(name: object, line: int, error: Exception) -> ValidationError:
    return ValidationError.single(
        ROOT, name, f"is not a readable CSV file (line {line}): {error}", subject="CSV file"
    )


def _read_csv(
    stream: TextIO, mapping: ColumnMapping, strict: bool, *, name: object
) -> ImportResult:
    reader = csv.DictReader(stream, delimiter=mapping.delimiter)
    try:
        header = list(reader.fieldnames or ())
    except (csv.Error, UnicodeDecodeError) as error:
        raise _unreadable(name, reader.line_num, error) from None
    if header and header[0].startswith("\ufeff"):  # a stream opened without utf-8-sig
        header[0] = header[0][1:]
        reader.fieldnames = header
    importer = _Importer(mapping, header, strict_columns=strict)
    rows = iter(reader)
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as error:
            raise _unreadable(name, reader.line_num, error) from None
        number += 1
        importer.add(number, row)
    return importer.result()


def _read_dicts(
    source: Iterable[Mapping[str, Any]], mapping: ColumnMapping, strict: bool
) -> ImportResult:
    rows = list(source)
    header: dict[str, None] = {}
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise TypeError(f"row {number} is a {type(row).__name__}, not a mapping of columns")
        header.update(dict.fromkeys(row))
    importer = _Importer(mapping, list(header), strict_columns=strict)
    for number, row in enumerate(rows, start=1):
        importer.add(number, row)
    return importer.result()


class _Refused(Exception):
    """A cell that cannot be read as its column says (internal)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_BOOLEANS = {"yes": True, "no": False, "true": True, "false": False, "y": True, "n": False}
_BOOLEANS.update({"1": True, "0": False})


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 660737.0 from a data frame is the identifier 660737
    return value if isinstance(value, str) else str(value)


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise _Refused("is not a number")
    if isinstance(value, str):
        if not _NUMBER.match(value):
            raise _Refused("is not a number")
        value = float(value)
    if not isinstance(value, int | float):
        raise _Refused("is not a number")
    if not math.isfinite(value):
        raise _Refused("must be a finite number")
    return float(value)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise _Refused("is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if not _NUMBER.match(value):
            raise _Refused("is not a whole number")
        exact = Decimal(value)
        if exact != exact.to_integral_value():
            raise _Refused("is not a whole number")
        return int(exact)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Refused("is not a whole number")


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.casefold() in _BOOLEANS:
        return _BOOLEANS[value.casefold()]
    raise _Refused("is not a yes/no value (expected yes, no, true, false, y, n, 1 or 0)")


def _datetime(value: object, fmt: str | None, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and fmt is not None:
        try:
            moment = datetime.strptime(value, fmt)  # the zone is added below
        except ValueError:
            raise _Refused(f"does not match the date-time format {fmt!r}") from None
    elif isinstance(value, str):
        try:
            moment = parse_iso_datetime(value)
        except ValueError:
            raise _Refused(
                "is not an ISO 8601 date-time (such as 2024-03-01 or 2024-03-01T09:30:00+00:00)"
            ) from None
    else:
        raise _Refused("is not a date-time")
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone)
    return moment


class _Importer:
    """Turns rows into leads, activities and rejections, keeping the report (internal)."""

    def __init__(self, mapping: ColumnMapping, header: list[str], *, strict_columns: bool) -> None:
        self.mapping = mapping
        self.zone = time_zone(mapping.time_zone)
        self.placeholders = {p.strip().casefold() for p in mapping.missing}
        self.columns = [c for c in mapping.columns if c.field != _IGNORE]
        self.column_of = {c.field: c.name for c in self.columns}
        self.kinds = [
            {label.strip().casefold(): (label, kind) for label, kind in a.kinds.items()}
            for a in mapping.activities
        ]
        self.spellings: dict[str, dict[str, str]] = {c.name: {} for c in self.columns if c.fold}
        self.leads: list[Lead] = []
        self.activities: list[Activity] = []
        self.rejected: list[Rejection] = []
        self.folded: Counter[tuple[str, str, str]] = Counter()
        self.skipped: Counter[tuple[str, str]] = Counter()
        self.skipped_spelling: dict[tuple[str, str], str] = {}
        self.rows = 0
        self.unmapped = self._check_header(header, strict_columns)

    # ----------------------------------------------------------------- the header

    def _read_columns(self) -> list[tuple[str, str]]:
        """(key path, column) of every column the mapping reads."""
        mapping = self.mapping
        used = [(f"columns.{_quote(c.name)}", c.name) for c in self.columns]
        if isinstance(mapping.created_at, TimeColumn):
            used.append(("created_at.column", mapping.created_at.column))
        for i, activity in enumerate(mapping.activities):
            used.append((f"activities[{i}].column", activity.column))
            if isinstance(activity.occurred_at, TimeColumn):
                used.append((f"activities[{i}].occurred_at.column", activity.occurred_at.column))
        return used

    def _check_header(self, header: list[str], strict_columns: bool) -> tuple[str, ...]:
        used = self._read_columns()
        present = set(header)
        absent = [(key, column) for key, column in used if column not in present]
        if absent and strict_columns:
            key, column = absent[0]
            others = sorted({c for _, c in absent[1:]} - {column})
            listed = ", ".join(repr(h) for h in header[:12]) + (", ..." if len(header) > 12 else "")
            reason = f"the table has no column {column!r}"
            if others:
                reason += " (nor " + ", ".join(repr(c) for c in others) + ")"
            reason += f"; its columns are: {listed or 'none'}"
            raise InvalidConfiguration(key=key, reason=reason, value=column)
        read = {column for _, column in used}
        for name in read:
            if header.count(name) > 1:
                raise ValidationError.single(
                    "header",
                    name,
                    "appears more than once in the table's header, so its cells are ambiguous",
                    subject="table",
                )
        known = read | {c.name for c in self.mapping.columns}
        return tuple(dict.fromkeys(h for h in header if h not in known))

    # ---------------------------------------------------------------------- cells

    def _cell(self, raw: object) -> object | None:
        """The cell's value, or ``None`` when it is empty or a placeholder."""
        if raw is None:
            return None
        if isinstance(raw, str):
            text = raw.strip()
            if not text or text.casefold() in self.placeholders:
                return None
            return text
        if isinstance(raw, float) and math.isnan(raw):
            return None
        return raw

    def _value(self, column: Column, value: object, folds: list[tuple[str, str, str]]) -> Any:
        kind = column.type
        if kind is ColumnType.NUMBER:
            return _number(value)
        if kind is ColumnType.INTEGER:
            number = _integer(value)
            if column.field == "company_size" and number < 0:
                raise _Refused("must not be negative")
            return number
        if kind is ColumnType.BOOLEAN:
            return _boolean(value)
        if kind is ColumnType.DATETIME:
            moment = _datetime(value, column.format, self.zone)
            if column.field.startswith(_CUSTOM):  # custom fields hold JSON scalars
                return moment.astimezone(timezone.utc).isoformat()
            return moment
        text = _text(value)
        if column.field == "email":
            return _parsed(EmailAddress.coerce, text)
        if column.field == "phone":
            return _parsed(PhoneNumber.coerce, text)
        if column.fold:
            first = self.spellings[column.name].setdefault(text.casefold(), text)
            if first != text:
                folds.append((column.name, text, first))
                text = first
        return text

    def _time(
        self,
        spec: datetime | TimeColumn,
        row: Mapping[Any, Any],
        refuse: Callable[[str, object, str], None],
        needed_for: str,
    ) -> datetime | None:
        if isinstance(spec, datetime):
            return spec
        raw = row.get(spec.column)
        value = self._cell(raw)
        if value is None:
            refuse(spec.column, raw, f"is missing, and {needed_for} is read from this column")
            return None
        try:
            return _datetime(value, spec.format, self.zone)
        except _Refused as refused:
            refuse(spec.column, raw, refused.reason)
            return None

    # ----------------------------------------------------------------------- rows

    def add(self, number: int, row: Mapping[Any, Any]) -> None:
        """Import one row (numbered from 1), or record why it is rejected."""
        self.rows += 1
        problems: list[Rejection] = []

        def refuse(column: str, value: object, reason: str) -> None:
            problems.append(Rejection(row=number, column=column, value=value, reason=reason))

        extra = row.get(None)
        if extra:  # csv.DictReader puts cells beyond the header under None
            cells = extra if isinstance(extra, list) else [extra]
            refuse("", self.mapping.delimiter.join(map(str, cells)), _extra_cells(len(cells)))
        folds: list[tuple[str, str, str]] = []
        values: dict[str, Any] = {}
        for column in self.columns:
            raw = row.get(column.name)
            value = self._cell(raw)
            if value is None:
                continue
            try:
                values[column.field] = self._value(column, value, folds)
            except _Refused as refused:
                refuse(column.name, raw, refused.reason)
        created_at = self._time(self.mapping.created_at, row, refuse, "each lead's created_at")
        planned, skipped = self._plan_activities(row, created_at, refuse)
        if problems or created_at is None:
            self.rejected.extend(problems)
            return
        lead = self._lead(values, created_at, refuse)
        if lead is None:
            self.rejected.extend(problems)
            return
        self.leads.append(lead)
        self.activities.extend(
            Activity(
                created_at=created_at,
                kind=kind,
                occurred_at=occurred_at,
                direction=direction,
                subject=subject,
                lead_id=lead.id,
            )
            for kind, occurred_at, direction, subject in planned
        )
        self.folded.update(folds)
        self.skipped.update(skipped)

    def _plan_activities(
        self,
        row: Mapping[Any, Any],
        created_at: datetime | None,
        refuse: Callable[[str, object, str], None],
    ) -> tuple[list[tuple[ActivityKind, datetime, Direction | None, str]], list[tuple[str, str]]]:
        planned: list[tuple[ActivityKind, datetime, Direction | None, str]] = []
        skipped: list[tuple[str, str]] = []
        for i, activity in enumerate(self.mapping.activities):
            raw = row.get(activity.column)
            value = self._cell(raw)
            if value is None:
                continue
            label = _text(value)
            match = self.kinds[i].get(label.casefold())
            if match is None:
                if activity.strict:
                    refuse(activity.column, raw, f"is not a label of activities[{i}].kinds")
                else:
                    key = (activity.column, label.casefold())
                    self.skipped_spelling.setdefault(key, label)
                    skipped.append(key)
                continue
            subject, kind = match
            if kind is None:  # a label known to make no activity
                continue
            occurred_at = (
                created_at
                if activity.occurred_at is None
                else self._time(activity.occurred_at, row, refuse, "the activity's occurred_at")
            )
            if occurred_at is not None:
                planned.append((kind, occurred_at, activity.direction, subject))
        return planned, skipped

    def _lead(
        self,
        values: Mapping[str, Any],
        created_at: datetime,
        refuse: Callable[[str, object, str], None],
    ) -> Lead | None:
        fields: dict[str, Any] = {"created_at": created_at}
        touch: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        consent = Consent()
        for target, value in values.items():
            if target.startswith(_CUSTOM):
                custom[target[len(_CUSTOM) :]] = value
            elif target in _TOUCH_FIELDS:
                touch[target] = value
            elif target in _CONSENT_FIELDS:
                if value:
                    channel = _CONSENT_FIELDS[target]
                    consent = consent.record(
                        channel,  # type: ignore[arg-type]  # one of the three channels
                        given=channel == "do_not_contact",
                        at=created_at,
                        source=f"import ({self.column_of[target]})",
                    )
            else:
                fields[target] = value
        if touch:
            first = Touchpoint(occurred_at=created_at, **touch)
            fields["first_touch"] = first
            fields["touches"] = (first,)
        if custom:
            fields["custom_fields"] = custom
        if consent != Consent():
            fields["consent"] = consent
        try:
            return Lead(**fields)
        except ValidationError as error:  # a check the cells passed but the lead did not
            for problem in error.problems:
                refuse(self._column_at(problem.path), problem.value, problem.reason)
            return None

    def _column_at(self, path: str) -> str:
        for column in self.columns:
            if column.field.startswith(_CUSTOM):
                if path == f"custom_fields[{column.field[len(_CUSTOM) :]!r}]":
                    return column.name
            elif path == column.field:
                return column.name
        return ""

    # --------------------------------------------------------------------- result

    def result(self) -> ImportResult:
        """The leads, activities and report of the rows added so far."""
        order = {c.name: i for i, c in enumerate(self.columns)}
        folded = sorted(self.folded.items(), key=lambda item: order[item[0][0]])
        return ImportResult(
            leads=self.leads,
            activities=self.activities,
            rejected=self.rejected,
            unmapped_columns=self.unmapped,
            normalised=[
                Normalisation(column=c, original=o, normalised=n, count=k)
                for (c, o, n), k in folded
            ],
            skipped_labels=[
                SkippedLabel(column=key[0], label=self.skipped_spelling[key], count=count)
                for key, count in self.skipped.most_common()  # ties stay in first-seen order
            ],
            rows=self.rows,
        )


def _extra_cells(count: int) -> str:
    return f"has {count} more cell{'s' if count > 1 else ''} than the header"


def _parsed(parse: Callable[[str], _T], text: str) -> _T:
    """``text`` parsed (as an e-mail address, a phone number), or the reason it is not one."""
    try:
        return parse(text)
    except ValidationError as error:
        raise _Refused(error.problems[0].reason) from None
