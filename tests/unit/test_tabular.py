"""Tabular import: the column mapping as data, and leads and activities from CSV rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from leadflow import ActivityKind, Direction, InvalidConfiguration, ValidationError
from leadflow.tabular import (
    ActivityColumn,
    Column,
    ColumnMapping,
    ColumnType,
    ImportResult,
    Normalisation,
    Rejection,
    SkippedLabel,
    TimeColumn,
    read_leads,
)

UTC = timezone.utc
T0 = datetime(2024, 1, 1, tzinfo=UTC)

# A few rows in the style of X Education's Leads.csv: "Select" means not filled,
# Lead Source has both "Google" and "google", Last Activity is a label.
X_EDUCATION = """\
Prospect ID,Lead Origin,Lead Source,Do Not Email,TotalVisits,Total Time Spent on Website,\
Last Activity,Country,Specialization,Converted
7927b2df,API,Olark Chat,No,0,0,Page Visited on Website,,Select,0
2a272436,API,Google,No,5,674,Email Opened,India,Select,0
8cc8c611,Lead Add Form,Direct Traffic,Yes,2.5,1532,Email Opened,INDIA,Business Administration,1
0cc2df48,Landing Page Submission,google,No,1,305,Unreachable,india,Media and Advertising,0
3256f628,API,google,No,NA,1428,email opened,select,Select,1
"""

MAPPING_TOML = """\
missing = ["Select", "", "NA"]
created_at = "2024-01-01T00:00:00+00:00"
time_zone = "UTC"

[columns]
"Prospect ID" = "external_id"
"Lead Origin" = { field = "custom.Lead Origin" }
"Lead Source" = "source"
"Country" = "country"
"Specialization" = "custom.Specialization"
"TotalVisits" = { field = "custom.TotalVisits", type = "number" }
"Total Time Spent on Website" = { field = "custom.Time on Website", type = "integer" }
"Do Not Email" = { field = "custom.Do Not Email", type = "boolean" }
"Converted" = { field = "custom.Converted", type = "boolean" }

[[activities]]
column = "Last Activity"
kinds = { "Email Opened" = "email_open", "Page Visited on Website" = "web_visit" }
direction = "inbound"
"""

MAPPING_DICT: dict[str, Any] = {
    "missing": ["Select", "", "NA"],
    "created_at": "2024-01-01T00:00:00+00:00",
    "time_zone": "UTC",
    "columns": {
        "Prospect ID": "external_id",
        "Lead Origin": {"field": "custom.Lead Origin"},
        "Lead Source": "source",
        "Country": "country",
        "Specialization": "custom.Specialization",
        "TotalVisits": {"field": "custom.TotalVisits", "type": "number"},
        "Total Time Spent on Website": {"field": "custom.Time on Website", "type": "integer"},
        "Do Not Email": {"field": "custom.Do Not Email", "type": "boolean"},
        "Converted": {"field": "custom.Converted", "type": "boolean"},
    },
    "activities": [
        {
            "column": "Last Activity",
            "kinds": {"Email Opened": "email_open", "Page Visited on Website": "web_visit"},
            "direction": "inbound",
        }
    ],
}


def write(tmp_path: Path, text: str, name: str = "leads.csv", *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def mapping(columns: dict[str, Any], **top: Any) -> ColumnMapping:
    data: dict[str, Any] = {"created_at": "2024-01-01T00:00:00+00:00", "columns": columns}
    data.update(top)
    return ColumnMapping.from_dict(data)


def by_id(result: ImportResult) -> dict[str | None, Any]:
    return {lead.external_id: lead for lead in result.leads}


@pytest.fixture
def x_mapping() -> ColumnMapping:
    return ColumnMapping.from_toml(MAPPING_TOML)


@pytest.fixture
def x_result(tmp_path: Path, x_mapping: ColumnMapping) -> ImportResult:
    return read_leads(write(tmp_path, X_EDUCATION), x_mapping)


# ======================================================================== mapping


class TestMappingAsData:
    def test_from_toml(self, x_mapping: ColumnMapping) -> None:
        assert x_mapping.created_at == T0
        assert x_mapping.time_zone == "UTC"
        assert x_mapping.missing == ("Select", "", "NA")
        first = x_mapping.columns[0]
        assert first == Column(name="Prospect ID", field="external_id")
        assert first.type is ColumnType.TEXT
        assert first.fold is False  # an identifier keeps its spelling
        visits = x_mapping.columns[5]
        assert (visits.name, visits.field, visits.type) == (
            "TotalVisits",
            "custom.TotalVisits",
            ColumnType.NUMBER,
        )
        assert x_mapping.columns[2].fold is True  # Lead Source is categorical
        (activity,) = x_mapping.activities
        assert activity.column == "Last Activity"
        assert activity.kinds == {
            "Email Opened": ActivityKind.EMAIL_OPEN,
            "Page Visited on Website": ActivityKind.WEB_VISIT,
        }
        assert activity.direction is Direction.INBOUND
        assert activity.occurred_at is None
        assert activity.strict is False

    def test_from_dict_and_from_json_equal_from_toml(self, x_mapping: ColumnMapping) -> None:
        assert ColumnMapping.from_dict(MAPPING_DICT) == x_mapping
        assert ColumnMapping.from_json(json.dumps(MAPPING_DICT)) == x_mapping

    def test_round_trip(self, x_mapping: ColumnMapping) -> None:
        data = x_mapping.to_dict()
        assert ColumnMapping.from_dict(data) == x_mapping
        assert data["columns"]["Prospect ID"] == "external_id"  # shorthand when default
        assert data["columns"]["TotalVisits"] == {"field": "custom.TotalVisits", "type": "number"}
        assert json.loads(json.dumps(data)) == data  # plain data

    def test_round_trip_of_every_option(self) -> None:
        built = ColumnMapping(
            columns=[
                Column(name="Id", field="external_id"),
                Column(name="Area", field="custom.area", fold=False),
                Column(name="Email", field="email", fold=True),
                Column(name="Seen", field="custom.seen", type="datetime", format="%d/%m/%Y"),
                Column(name="Size", field="company_size"),
                Column(name="Noise", field="ignore"),
            ],
            created_at=TimeColumn(column="Created", format="%d/%m/%Y %H:%M"),
            time_zone="Europe/Berlin",
            missing=["n/a"],
            delimiter=";",
            activities=[
                ActivityColumn(
                    column="Last",
                    kinds={"Opened": "email_open", "Modified": None},
                    occurred_at=TimeColumn(column="When"),
                    direction="outbound",
                    strict=True,
                ),
                ActivityColumn(
                    column="Other", kinds={"Visit": ActivityKind.WEB_VISIT}, occurred_at=T0
                ),
            ],
        )
        data = built.to_dict()
        assert ColumnMapping.from_dict(data) == built
        assert data["activities"][0]["kinds"] == {"Opened": "email_open", "Modified": "ignore"}
        assert data["columns"]["Area"] == {"field": "custom.area", "type": "text", "fold": False}

    def test_load_toml_and_json_files(self, tmp_path: Path, x_mapping: ColumnMapping) -> None:
        toml_file = tmp_path / "map.toml"
        toml_file.write_text(MAPPING_TOML, encoding="utf-8")
        json_file = tmp_path / "map.json"
        json_file.write_text(json.dumps(MAPPING_DICT), encoding="utf-8")
        assert ColumnMapping.load(toml_file) == x_mapping
        assert ColumnMapping.load(str(json_file)) == x_mapping

    def test_created_at_from_a_column_and_toml_datetimes(self) -> None:
        by_column = ColumnMapping.from_toml(
            'created_at = { column = "Created" }\n[columns]\n"Id" = "external_id"\n'
        )
        assert by_column.created_at == TimeColumn(column="Created")
        native = ColumnMapping.from_toml(
            'created_at = 2024-01-01T01:00:00+01:00\n[columns]\n"Id" = "external_id"\n'
        )
        assert native.created_at == T0

    def test_default_types_and_folding(self) -> None:
        assert Column(name="S", field="company_size").type is ColumnType.INTEGER
        assert Column(name="D", field="do_not_email").type is ColumnType.BOOLEAN
        assert Column(name="C", field="custom.x").fold is True
        assert Column(name="C", field="custom.x", type="number").fold is False
        for identifier in ("external_id", "email", "first_name", "company", "website", "phone"):
            assert Column(name="X", field=identifier).fold is False


BAD_MAPPINGS: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown target", {"columns": {"Foo": "nope"}}, 'columns."Foo"', "unknown target"),
    (
        "unknown target in a table",
        {"columns": {"Foo": {"field": "nope"}}},
        'columns."Foo".field',
        "unknown target",
    ),
    (
        "unknown type",
        {"columns": {"Foo": {"field": "custom.foo", "type": "float"}}},
        'columns."Foo".type',
        "unknown type; expected one of: text, number, integer, boolean, datetime",
    ),
    (
        "a type the target does not take",
        {"columns": {"Size": {"field": "company_size", "type": "text"}}},
        'columns."Size".type',
        "company_size takes integer values",
    ),
    (
        "unknown key in a column",
        {"columns": {"Foo": {"field": "country", "colour": "red"}}},
        'columns."Foo".colour',
        "unknown key",
    ),
    ("unknown top-level key", {"colums": {}}, "colums", "unknown key"),
    (
        "a column that is neither text nor table",
        {"columns": {"Foo": 3}},
        'columns."Foo"',
        "must be a target name or a table",
    ),
    (
        "two columns for one target",
        {"columns": {"A": "country", "B": "country"}},
        'columns."B"',
        'fills country, as columns."A" does',
    ),
    (
        "format on a text column",
        {"columns": {"Foo": {"field": "custom.foo", "format": "%Y"}}},
        'columns."Foo".format',
        "applies to datetime columns only",
    ),
    (
        "folding a number",
        {"columns": {"Foo": {"field": "custom.foo", "type": "number", "fold": True}}},
        'columns."Foo".fold',
        "only text columns can be folded",
    ),
    (
        "custom without a name",
        {"columns": {"Foo": "custom."}},
        'columns."Foo"',
        "unknown target",
    ),
    ("no columns", {"columns": {}}, "columns", "needs at least one column"),
    (
        "bad kinds label value",
        {"activities": [{"column": "Last", "kinds": {"Email Opened": "opened"}}]},
        'activities[0].kinds."Email Opened"',
        "unknown activity kind",
    ),
    (
        "a kind that is not text",
        {"activities": [{"column": "Last", "kinds": {"Email Opened": 3}}]},
        'activities[0].kinds."Email Opened"',
        "must be an activity kind",
    ),
    (
        "a label repeated in another case",
        {"activities": [{"column": "L", "kinds": {"Opened": "email_open", "OPENED": "email"}}]},
        'activities[0].kinds."OPENED"',
        "repeats the label 'Opened'",
    ),
    (
        "no kinds",
        {"activities": [{"column": "Last"}]},
        "activities[0].kinds",
        "is required",
    ),
    (
        "unknown key in an activity",
        {"activities": [{"column": "L", "kinds": {"A": "call"}, "when": "now"}]},
        "activities[0].when",
        "unknown key",
    ),
    (
        "bad direction",
        {"activities": [{"column": "L", "kinds": {"A": "call"}, "direction": "sideways"}]},
        "activities[0].direction",
        "must be inbound or outbound",
    ),
    (
        "bad occurred_at",
        {"activities": [{"column": "L", "kinds": {"A": "call"}, "occurred_at": "soon"}]},
        "activities[0].occurred_at",
        "must be an ISO 8601 date-time",
    ),
    ("no created_at", {"created_at": None}, "created_at", "is required"),
    ("created_at not a date", {"created_at": "yesterday"}, "created_at", "ISO 8601"),
    (
        "created_at without an offset",
        {"created_at": "2024-01-01T00:00:00"},
        "created_at",
        "without a UTC offset",
    ),
    (
        "unknown key in the created_at column",
        {"created_at": {"column": "Created", "fmt": "%Y"}},
        "created_at.fmt",
        "unknown key",
    ),
    ("unknown time zone", {"time_zone": "Mars/Olympus"}, "time_zone", "not a known IANA"),
    ("a placeholder that is not text", {"missing": ["Select", 0]}, "missing[1]", "must be a text"),
    ("a long delimiter", {"delimiter": ";;"}, "delimiter", "must be one character"),
]


@pytest.mark.parametrize(
    ("data", "key", "reason"),
    [case[1:] for case in BAD_MAPPINGS],
    ids=[case[0] for case in BAD_MAPPINGS],
)
def test_a_bad_mapping_names_the_key_path(data: dict[str, Any], key: str, reason: str) -> None:
    full: dict[str, Any] = {"created_at": "2024-01-01T00:00:00+00:00", "columns": {"Id": "title"}}
    full.update(data)
    with pytest.raises(InvalidConfiguration) as caught:
        ColumnMapping.from_dict({k: v for k, v in full.items() if v is not None})
    assert caught.value.key == key
    assert f"invalid configuration at {key}: " in str(caught.value)
    assert reason in str(caught.value)


def test_bad_toml_is_invalid_configuration() -> None:
    with pytest.raises(InvalidConfiguration, match="not valid TOML"):
        ColumnMapping.from_toml("[columns\n")


def test_built_in_python_the_mapping_checks_itself() -> None:
    with pytest.raises(InvalidConfiguration, match="at field: unknown target"):
        Column(name="Foo", field="colour")
    with pytest.raises(InvalidConfiguration, match=r"at created_at: .*without a UTC offset"):
        ColumnMapping(
            columns=[Column(name="Id", field="external_id")], created_at=datetime(2024, 1, 1)
        )


# ====================================================================== reading


class TestReadingXEducationRows:
    def test_every_row_becomes_a_lead(self, x_result: ImportResult) -> None:
        assert x_result.rows == 5
        assert len(x_result.leads) == 5
        assert x_result.rejected == ()
        assert x_result.rejected_rows == 0
        assert [lead.external_id for lead in x_result.leads] == [
            "7927b2df",
            "2a272436",
            "8cc8c611",
            "0cc2df48",
            "3256f628",
        ]
        assert all(lead.created_at == T0 for lead in x_result.leads)

    def test_values_are_typed(self, x_result: ImportResult) -> None:
        lead = by_id(x_result)["8cc8c611"]
        assert lead.custom_fields == {
            "Lead Origin": "Lead Add Form",
            "Specialization": "Business Administration",
            "TotalVisits": 2.5,
            "Time on Website": 1532,
            "Do Not Email": True,
            "Converted": True,
        }
        assert type(lead.custom_fields["Time on Website"]) is int
        assert type(lead.custom_fields["TotalVisits"]) is float

    def test_placeholders_and_empty_cells_become_missing(self, x_result: ImportResult) -> None:
        leads = by_id(x_result)
        first = leads["7927b2df"]
        assert first.country is None  # empty cell
        assert "Specialization" not in first.custom_fields  # "Select"
        last = leads["3256f628"]
        assert last.country is None  # "select": placeholders match in any case
        assert "TotalVisits" not in last.custom_fields  # "NA"

    def test_source_builds_the_first_touch(self, x_result: ImportResult) -> None:
        lead = by_id(x_result)["7927b2df"]
        assert lead.first_touch is not None
        assert lead.first_touch.source == "Olark Chat"
        assert lead.first_touch.occurred_at == T0
        assert lead.touches == (lead.first_touch,)

    def test_labels_fold_to_the_first_spelling_and_are_reported(
        self, x_result: ImportResult
    ) -> None:
        sources = [lead.first_touch.source for lead in x_result.leads if lead.first_touch]
        assert sources == ["Olark Chat", "Google", "Direct Traffic", "Google", "Google"]
        countries = [lead.country for lead in x_result.leads]
        assert countries == [None, "India", "India", "India", None]
        assert x_result.normalised == (
            Normalisation(column="Lead Source", original="google", normalised="Google", count=2),
            Normalisation(column="Country", original="INDIA", normalised="India", count=1),
            Normalisation(column="Country", original="india", normalised="India", count=1),
        )

    def test_the_first_spelling_wins_whatever_it_is(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id,Source\n1,google\n2,Google \n3,GOOGLE\n")
        result = read_leads(path, mapping({"Id": "external_id", "Source": "source"}))
        assert {lead.first_touch.source for lead in result.leads if lead.first_touch} == {"google"}
        assert [(n.original, n.normalised, n.count) for n in result.normalised] == [
            ("Google", "google", 1),
            ("GOOGLE", "google", 1),
        ]

    def test_a_spelling_first_met_in_a_rejected_row_still_wins(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id,Source,Visits\n1,google,x\n2,Google,1\n")
        m = mapping(
            {
                "Id": "external_id",
                "Source": "source",
                "Visits": {"field": "custom.v", "type": "number"},
            }
        )
        result = read_leads(path, m)
        (lead,) = result.leads
        assert lead.first_touch is not None
        assert lead.first_touch.source == "google"
        assert result.normalised == (
            Normalisation(column="Source", original="Google", normalised="google", count=1),
        )

    def test_identifiers_and_names_are_not_folded(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id,Name,Company\nab-1,Ann,ACME\nAB-1,ann,Acme\n")
        result = read_leads(
            path,
            mapping({"Id": "external_id", "Name": "first_name", "Company": "company"}),
        )
        assert [(x.external_id, x.first_name, x.company) for x in result.leads] == [
            ("ab-1", "Ann", "ACME"),
            ("AB-1", "ann", "Acme"),
        ]
        assert result.normalised == ()

    def test_activities(self, x_result: ImportResult) -> None:
        leads = x_result.leads
        assert [(a.kind, a.lead_id) for a in x_result.activities] == [
            (ActivityKind.WEB_VISIT, leads[0].id),
            (ActivityKind.EMAIL_OPEN, leads[1].id),
            (ActivityKind.EMAIL_OPEN, leads[2].id),
            (ActivityKind.EMAIL_OPEN, leads[4].id),  # "email opened": labels match in any case
        ]
        for activity in x_result.activities:
            assert activity.occurred_at == T0  # the lead's created_at by default
            assert activity.created_at == T0
            assert activity.direction is Direction.INBOUND
        assert x_result.activities[3].subject == "Email Opened"  # the label as in kinds

    def test_unmapped_labels_are_skipped_and_reported(self, x_result: ImportResult) -> None:
        assert x_result.skipped_labels == (
            SkippedLabel(column="Last Activity", label="Unreachable", count=1),
        )
        assert by_id(x_result)["0cc2df48"] in x_result.leads  # the lead itself imports

    def test_unmapped_columns_are_listed(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id,Lead Number,Search,Tags,Country\n1,660737,No,Ringing,India\n")
        result = read_leads(
            path, mapping({"Id": "external_id", "Country": "country", "Lead Number": "ignore"})
        )
        assert result.unmapped_columns == ("Search", "Tags")

    def test_report(self, x_result: ImportResult) -> None:
        text = str(x_result)
        assert text.splitlines()[0] == (
            "5 rows read: 5 leads and 4 activities imported, 0 rows rejected"
        )
        assert "Lead Source: 'google' -> 'Google' (2 rows)" in text
        assert "Last Activity: 'Unreachable' (1 row)" in text


# =================================================================== rejections

REJECTS_CSV = """\
Prospect ID,Email,TotalVisits,Company Size,Converted,Created,Last Activity
p1,ann@example.com,3,10,Yes,2024-03-01T09:30:00+00:00,Email Opened
p2,not-an-email,abc,2.5,maybe,yesterday,Email Opened
p3,bob@example.com,4,-3,No,2024-03-02,Email Opened
p4,cy@example.com,1,5,No,,Email Opened
p5,dee@example.com,2,,no,2024-03-03 10:00,Email Opened
"""


@pytest.fixture
def rejects_mapping() -> ColumnMapping:
    return ColumnMapping.from_dict(
        {
            "created_at": {"column": "Created"},
            "time_zone": "Europe/Berlin",
            "columns": {
                "Prospect ID": "external_id",
                "Email": "email",
                "TotalVisits": {"field": "custom.TotalVisits", "type": "number"},
                "Company Size": "company_size",
                "Converted": {"field": "custom.Converted", "type": "boolean"},
            },
            "activities": [{"column": "Last Activity", "kinds": {"Email Opened": "email_open"}}],
        }
    )


class TestRejections:
    def test_each_bad_value_is_reported(
        self, tmp_path: Path, rejects_mapping: ColumnMapping
    ) -> None:
        result = read_leads(write(tmp_path, REJECTS_CSV), rejects_mapping)
        iso = "is not an ISO 8601 date-time (such as 2024-03-01 or 2024-03-01T09:30:00+00:00)"
        assert result.rejected == (
            Rejection(
                row=2,
                column="Email",
                value="not-an-email",
                reason="is not an e-mail address: it has no '@'",
            ),
            Rejection(row=2, column="TotalVisits", value="abc", reason="is not a number"),
            Rejection(row=2, column="Company Size", value="2.5", reason="is not a whole number"),
            Rejection(
                row=2,
                column="Converted",
                value="maybe",
                reason="is not a yes/no value (expected yes, no, true, false, y, n, 1 or 0)",
            ),
            Rejection(row=2, column="Created", value="yesterday", reason=iso),
            Rejection(row=3, column="Company Size", value="-3", reason="must not be negative"),
            Rejection(
                row=4,
                column="Created",
                value="",
                reason="is missing, and each lead's created_at is read from this column",
            ),
        )
        assert result.rejected_rows == 3
        assert result.rows == 5

    def test_rejected_rows_make_nothing_and_good_rows_import(
        self, tmp_path: Path, rejects_mapping: ColumnMapping
    ) -> None:
        result = read_leads(write(tmp_path, REJECTS_CSV), rejects_mapping)
        assert [lead.external_id for lead in result.leads] == ["p1", "p5"]
        assert len(result.activities) == 2
        assert {a.lead_id for a in result.activities} == {lead.id for lead in result.leads}
        p1, p5 = result.leads
        assert str(p1.email) == "ann@example.com"
        assert p1.company_size == 10
        assert p1.created_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
        # Written without an offset: read in the mapping's time zone (Berlin, UTC+1 in March).
        assert p5.created_at == datetime(2024, 3, 3, 9, 0, tzinfo=UTC)
        assert p5.company_size is None

    def test_write_rejects(self, tmp_path: Path, rejects_mapping: ColumnMapping) -> None:
        result = read_leads(write(tmp_path, REJECTS_CSV), rejects_mapping)
        out = tmp_path / "rejects.csv"
        result.write_rejects(out)
        with out.open(encoding="utf-8", newline="") as stream:
            rows = list(csv.reader(stream))
        assert rows[0] == ["row", "column", "value", "reason"]
        assert rows[1] == ["2", "Email", "not-an-email", "is not an e-mail address: it has no '@'"]
        assert len(rows) == 1 + len(result.rejected)

    def test_report_lists_rejections(self, tmp_path: Path, rejects_mapping: ColumnMapping) -> None:
        text = str(read_leads(write(tmp_path, REJECTS_CSV), rejects_mapping))
        assert text.startswith(
            "5 rows read: 2 leads and 2 activities imported, 3 rows rejected (7 problems)"
        )
        assert "row 2, column 'TotalVisits': 'abc' is not a number" in text
        assert "... and 2 more (see write_rejects())" in text

    def test_row_numbers_count_data_rows_not_lines(self, tmp_path: Path) -> None:
        # The header is not counted, and a quoted cell over two lines is still one row.
        text = 'Id,Note,Visits\na,"two\nlines",1\nb,ok,x\n'
        result = read_leads(
            write(tmp_path, text),
            mapping(
                {
                    "Id": "external_id",
                    "Note": "custom.note",
                    "Visits": {"field": "custom.v", "type": "number"},
                }
            ),
        )
        assert [(r.row, r.column, r.value) for r in result.rejected] == [(2, "Visits", "x")]

    def test_more_cells_than_the_header(self, tmp_path: Path) -> None:
        result = read_leads(
            write(tmp_path, "Id,Country\n1,India\n2,India,extra,more\n"),
            mapping({"Id": "external_id", "Country": "country"}),
        )
        assert result.rejected == (
            Rejection(
                row=2, column="", value="extra,more", reason="has 2 more cells than the header"
            ),
        )
        assert len(result.leads) == 1

    def test_unknown_label_in_a_strict_activity_column(self, tmp_path: Path) -> None:
        strict = mapping(
            {"Id": "external_id"},
            activities=[
                {
                    "column": "Last Activity",
                    "kinds": {"Email Opened": "email_open", "Modified": "ignore"},
                    "strict": True,
                }
            ],
        )
        path = write(tmp_path, "Id,Last Activity\n1,Email Opened\n2,Modified\n3,Unreachable\n")
        result = read_leads(path, strict)
        assert result.rejected == (
            Rejection(
                row=3,
                column="Last Activity",
                value="Unreachable",
                reason="is not a label of activities[0].kinds",
            ),
        )
        assert [lead.external_id for lead in result.leads] == ["1", "2"]
        assert len(result.activities) == 1  # "Modified" is known but makes no activity
        assert result.skipped_labels == ()

    def test_number_edge_cases(self, tmp_path: Path) -> None:
        m = mapping(
            {
                "Id": "external_id",
                "N": {"field": "custom.n", "type": "number"},
                "I": {"field": "custom.i", "type": "integer"},
            }
        )
        path = write(tmp_path, "Id,N,I\na,1e3,2.0\nb,inf,7\nc,-0.5,1e2\nd,1_000,3\n")
        result = read_leads(path, m)
        assert [lead.custom_fields for lead in result.leads] == [
            {"n": 1000.0, "i": 2},
            {"n": -0.5, "i": 100},
        ]
        assert [(r.row, r.value, r.reason) for r in result.rejected] == [
            (2, "inf", "is not a number"),
            (4, "1_000", "is not a number"),
        ]


# ================================================================ activity times


def test_activity_times_from_a_column(tmp_path: Path) -> None:
    m = mapping(
        {"Id": "external_id"},
        time_zone="America/New_York",
        activities=[
            {
                "column": "Last Activity",
                "kinds": {"Email Opened": "email_open"},
                "direction": "outbound",
                "occurred_at": {"column": "Last Activity Date", "format": "%d/%m/%Y %H:%M"},
            }
        ],
    )
    path = write(
        tmp_path,
        "Id,Last Activity,Last Activity Date\n"
        "1,Email Opened,15/01/2024 09:00\n"
        "2,,\n"
        "3,Email Opened,2024-01-15\n"
        "4,Email Opened,\n",
    )
    result = read_leads(path, m)
    (activity,) = result.activities
    assert activity.occurred_at == datetime(2024, 1, 15, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert activity.direction is Direction.OUTBOUND
    assert activity.lead_id == result.leads[0].id
    assert [lead.external_id for lead in result.leads] == ["1", "2"]  # no label, no activity
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (3, "Last Activity Date", "does not match the date-time format '%d/%m/%Y %H:%M'"),
        (
            4,
            "Last Activity Date",
            "is missing, and the activity's occurred_at is read from this column",
        ),
    ]


def test_custom_datetime_and_consent(tmp_path: Path) -> None:
    m = mapping(
        {
            "Id": "external_id",
            "Seen": {"field": "custom.seen", "type": "datetime"},
            "Do Not Email": "do_not_email",
            "Do Not Call": "do_not_call",
        }
    )
    path = write(
        tmp_path,
        "Id,Seen,Do Not Email,Do Not Call\n1,2024-02-01T10:00:00+01:00,Yes,No\n2,,No,\n",
    )
    first, second = read_leads(path, m).leads
    assert first.custom_fields == {"seen": "2024-02-01T09:00:00+00:00"}
    assert first.consent.email is not None
    assert first.consent.email.given is False
    assert first.consent.email.at == T0
    assert first.consent.email.source == "import (Do Not Email)"
    assert first.consent.may_email(require_opt_in=False) is False
    assert first.consent.phone is None  # "No" records nothing
    assert second.consent.may_email(require_opt_in=False) is True


# ===================================================================== sources


def test_iterable_of_dicts(x_mapping: ColumnMapping) -> None:
    rows = [
        {
            "Prospect ID": "a1",
            "Lead Source": "Google",
            "TotalVisits": 3,
            "Total Time Spent on Website": 120.0,
            "Converted": 1,
            "Do Not Email": False,
            "Country": None,
            "Lead Origin": "API",
            "Specialization": "Select",
            "Last Activity": "Email Opened",
        },
        {
            "Prospect ID": 660737.0,  # a data frame's idea of an identifier
            "Lead Source": "google",
            "TotalVisits": float("nan"),  # a data frame's idea of missing
            "Total Time Spent on Website": 1.5,
            "Last Activity": "Page Visited on Website",
            "Extra": "x",
        },
    ]
    result = read_leads(rows, x_mapping, strict_columns=False)
    assert result.rows == 2
    (lead,) = result.leads
    assert lead.external_id == "a1"
    assert lead.custom_fields == {
        "Lead Origin": "API",
        "TotalVisits": 3.0,
        "Time on Website": 120,
        "Converted": True,
        "Do Not Email": False,
    }
    assert result.rejected == (
        Rejection(
            row=2, column="Total Time Spent on Website", value=1.5, reason="is not a whole number"
        ),
    )
    assert result.unmapped_columns == ("Extra",)
    assert [a.kind for a in result.activities] == [ActivityKind.EMAIL_OPEN]


def test_dict_rows_identifier_from_a_float() -> None:
    result = read_leads([{"Id": 660737.0}], mapping({"Id": "external_id"}))
    assert result.leads[0].external_id == "660737"


def test_a_dict_row_that_is_not_a_mapping() -> None:
    with pytest.raises(TypeError, match="row 2 is a list"):
        read_leads([{"Id": "1"}, ["2"]], mapping({"Id": "external_id"}))  # type: ignore[list-item]


def test_text_stream(x_mapping: ColumnMapping) -> None:
    result = read_leads(io.StringIO(X_EDUCATION), x_mapping)
    assert len(result.leads) == 5


def test_bom_prefixed_csv(tmp_path: Path, x_mapping: ColumnMapping) -> None:
    path = write(tmp_path, X_EDUCATION, bom=True)
    result = read_leads(path, x_mapping)
    assert result.leads[0].external_id == "7927b2df"
    assert "Prospect ID" not in result.unmapped_columns
    # A stream opened without utf-8-sig keeps the mark; it is dropped from the header too.
    with path.open(encoding="utf-8", newline="") as stream:
        assert read_leads(stream, x_mapping).leads[0].external_id == "7927b2df"


def test_semicolon_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, "Id;Country\n1;India\n")
    result = read_leads(path, mapping({"Id": "external_id", "Country": "country"}, delimiter=";"))
    assert result.leads[0].country == "India"


class TestColumnsMissingFromTheHeader:
    def test_a_mapped_column_missing_from_the_header(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Prospect ID,Lead Source\n1,Google\n")
        m = mapping({"Prospect ID": "external_id", "Country": "country", "City": "custom.city"})
        with pytest.raises(InvalidConfiguration) as caught:
            read_leads(path, m)
        assert caught.value.key == 'columns."Country"'
        message = str(caught.value)
        assert "the table has no column 'Country' (nor 'City')" in message
        assert "its columns are: 'Prospect ID', 'Lead Source'" in message

    def test_without_strict_columns_they_are_empty(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Prospect ID,Lead Source\n1,Google\n")
        m = mapping({"Prospect ID": "external_id", "Country": "country"})
        result = read_leads(path, m, strict_columns=False)
        assert result.leads[0].country is None
        assert result.unmapped_columns == ("Lead Source",)

    def test_activity_and_time_columns_are_checked_too(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id\n1\n")
        m = mapping({"Id": "external_id"}, activities=[{"column": "Last", "kinds": {"A": "call"}}])
        with pytest.raises(InvalidConfiguration) as caught:
            read_leads(path, m)
        assert caught.value.key == "activities[0].column"
        by_column = mapping({"Id": "external_id"}, created_at={"column": "Created"})
        with pytest.raises(InvalidConfiguration) as caught:
            read_leads(path, by_column)
        assert caught.value.key == "created_at.column"

    def test_ignored_columns_need_not_exist(self, tmp_path: Path) -> None:
        path = write(tmp_path, "Id\n1\n")
        result = read_leads(path, mapping({"Id": "external_id", "Gone": "ignore"}))
        assert len(result.leads) == 1


def test_a_mapped_column_twice_in_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "Id,Country,Country\n1,India,France\n")
    with pytest.raises(ValidationError, match="'Country' appears more than once"):
        read_leads(path, mapping({"Id": "external_id", "Country": "country"}))


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Id,Country\n1,Côte d'Ivoire\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="is not a readable CSV file"):
        read_leads(path, mapping({"Id": "external_id", "Country": "country"}))


def test_an_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(InvalidConfiguration, match="its columns are: none"):
        read_leads(path, mapping({"Id": "external_id"}))
    result = read_leads(path, mapping({"Id": "external_id"}), strict_columns=False)
    assert (result.rows, result.leads) == (0, ())
