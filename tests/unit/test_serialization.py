from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest

from leadflow import (
    BANT,
    Account,
    Activity,
    ActivityKind,
    Assessment,
    Authority,
    Campaign,
    Lead,
    LeadId,
    LineItem,
    Money,
    Opportunity,
    Probability,
    ProductId,
    Touchpoint,
    ValidationError,
)
from leadflow.errors import MISSING
from leadflow.serialization import (
    ENTITY_TYPES,
    SCHEMA_VERSION,
    configure_converter,
    from_dict,
    from_json,
    make_converter,
    to_dict,
    to_json,
)

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LEAD_ID = LeadId(value=uuid.UUID("0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b"))


def problems(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, object, str]]:
    return [(p.path, p.value, p.reason) for p in error.value.problems]


def lead_document(**changes: Any) -> dict[str, Any]:
    document = to_dict(Lead(id=LEAD_ID, created_at=T, first_name="Ada"))
    document.update(changes)
    return document


class TestDocuments:
    def test_a_lead_document_is_plain_json_with_a_schema(self) -> None:
        lead = Lead(
            id=LEAD_ID,
            created_at=T,
            first_name="Ada",
            email="ada@Example.com",
            product_interests={"crm", "api"},
            touches=[Touchpoint(occurred_at=T, source="google", medium="cpc")],
            bant=BANT(authority=Assessment(value=Authority.INFLUENCER, assessed_at=T)),
            custom_fields={"tier": "gold", "seats": 12, "vip": True, "ratio": 0.5, "note": None},
        )
        assert to_dict(lead) == {
            "id": "0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b",
            "version": 0,
            "created_at": "2026-03-02T09:30:00+00:00",
            "updated_at": "2026-03-02T09:30:00+00:00",
            "status": "new",
            "marketing_stage": "lead",
            "bant": {
                "authority": {"value": "influencer", "assessed_at": "2026-03-02T09:30:00+00:00"}
            },
            "consent": {},
            "first_name": "Ada",
            "email": "ada@example.com",
            "product_interests": ["api", "crm"],
            "touches": [
                {"occurred_at": "2026-03-02T09:30:00+00:00", "source": "google", "medium": "cpc"}
            ],
            "custom_fields": {"tier": "gold", "seats": 12, "vip": True, "ratio": 0.5, "note": None},
            "schema": SCHEMA_VERSION,
        }

    def test_amounts_are_strings_and_keep_their_digits(self) -> None:
        opp = Opportunity(
            created_at=T,
            name="Deal",
            stage="proposal",
            amount=Money.of("1200.50", "EUR"),
            probability=Probability(value=0.6),
            expected_close_date=date(2026, 6, 30),
            line_items=[
                LineItem(
                    product_id=ProductId(value=uuid.UUID(int=1)),
                    quantity=2,
                    unit_price=Money.of("600.25", "EUR"),
                )
            ],
        )
        document = to_dict(opp)
        assert document["amount"] == {"amount": "1200.50", "currency": "EUR"}
        assert document["probability"] == 0.6
        assert document["expected_close_date"] == "2026-06-30"
        assert document["line_items"][0]["quantity"] == "2"
        assert from_dict(Opportunity, document) == opp
        assert str(from_dict(Opportunity, document).amount.amount) == "1200.50"  # type: ignore[union-attr]

    def test_values_serialize_on_their_own_without_a_schema(self) -> None:
        assert to_dict(Money.of("5", "USD")) == {"amount": "5", "currency": "USD"}
        assert to_dict(LEAD_ID) == "0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b"
        assert from_dict(Money, {"amount": "5", "currency": "USD"}) == Money.of(5, "USD")
        assert from_json(Touchpoint, '{"occurred_at": "2026-03-02T09:30:00Z"}') == Touchpoint(
            occurred_at=T
        )

    def test_json_text(self) -> None:
        lead = Lead(created_at=T, first_name="Zoë", last_name="李")
        text = to_json(lead)
        assert "Zoë" in text
        assert "李" in text
        assert "\n" not in text
        assert to_json(lead, indent=2).count("\n") > 5
        assert from_json(Lead, text) == lead
        assert from_json(Lead, text.encode()) == lead

    def test_every_entity_type_carries_the_schema(self) -> None:
        assert {cls.__name__ for cls in ENTITY_TYPES} == {
            "Lead",
            "Account",
            "Contact",
            "Opportunity",
            "Campaign",
            "Activity",
            "Product",
        }
        activity = Activity(
            created_at=T, kind=ActivityKind.EMAIL_OPEN, occurred_at=T, lead_id=LEAD_ID
        )
        assert to_dict(activity)["schema"] == SCHEMA_VERSION
        assert to_dict(activity)["kind"] == "email_open"


class TestTimes:
    @pytest.mark.parametrize(
        "text",
        [
            "2026-03-02T09:30:00Z",
            "2026-03-02T10:30:00+01:00",
            "2026-03-02T04:30:00-05:00",
            "20260302T093000Z",
            "2026-03-02T09:30:00.000+00:00",
        ],
    )
    def test_iso_8601_with_an_offset_is_read_and_stored_in_utc(self, text: str) -> None:
        lead = from_dict(Lead, lead_document(created_at=text, updated_at=text))
        assert lead.created_at == T
        assert lead.created_at.tzinfo is UTC

    def test_a_time_without_offset_is_refused(self) -> None:
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, lead_document(created_at="2026-03-02T09:30:00"))
        assert problems(error) == [
            (
                "created_at",
                "2026-03-02T09:30:00",
                "has no UTC offset; write it as e.g. 2026-03-02T09:30:00+00:00".replace(
                    "2026-03-02T09:30:00+00:00", "2026-03-01T09:30:00+00:00"
                ),
            )
        ]

    def test_garbage_times_are_refused(self) -> None:
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, lead_document(created_at="yesterday", updated_at=1700000000))
        assert problems(error) == [
            ("created_at", "yesterday", "is not an ISO 8601 date-time"),
            ("updated_at", 1700000000, "should be an ISO 8601 date-time string, not a number"),
        ]


class TestStrictness:
    @pytest.mark.parametrize(
        ("field", "value", "reason"),
        [
            ("first_name", 5, "should be a string or null, not a number"),
            ("version", "3", "should be an integer, not a string"),
            ("version", True, "should be an integer, not a boolean"),
            ("version", 1.0, "should be an integer, not a number"),
            ("company_size", "12", "should be an integer, not a string"),
            ("status", None, "should be a string, not null"),
            ("product_interests", "crm", "should be an array, not a string"),
            (
                "touches",
                {"occurred_at": "2026-03-02T09:30:00Z"},
                "should be an array, not an object",
            ),
            ("bant", [], "should be an object (BANT), not an array"),
            ("custom_fields", [], "should be an object, not an array"),
            ("id", "lead_xyz", "is not a LeadId (expected a UUID)"),
            ("email", "nope", "is not an e-mail address: it has no '@'"),
        ],
    )
    def test_wrong_json_types_are_refused(self, field: str, value: object, reason: str) -> None:
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, lead_document(**{field: value}))
        assert problems(error) == [(field, value, reason)]

    def test_no_silent_coercion_of_booleans(self) -> None:
        document = to_dict(Account(created_at=T, name="Acme"))
        with pytest.raises(ValidationError, match="should be an integer"):
            from_dict(Account, {**document, "size": False})

    def test_decimals_accept_strings_and_exact_numbers(self) -> None:
        for amount in ("12.50", 12.5):
            assert from_dict(Money, {"amount": amount, "currency": "EUR"}) == Money.of(
                "12.5", "EUR"
            )
        assert from_dict(Money, {"amount": 12, "currency": "EUR"}) == Money.of(12, "EUR")
        for bad in ("twelve", "NaN", True, None, [1]):
            with pytest.raises(ValidationError) as error:
                from_dict(Money, {"amount": bad, "currency": "EUR"})
            assert [p.path for p in error.value.problems] == ["amount"]

    def test_enums_list_their_allowed_values(self) -> None:
        document = to_dict(
            Activity(created_at=T, kind=ActivityKind.CALL, occurred_at=T, lead_id=LEAD_ID)
        )
        with pytest.raises(ValidationError) as error:
            from_dict(Activity, {**document, "kind": "fax"})
        (problem,) = error.value.problems
        assert problem.path == "kind"
        assert problem.reason.startswith("is not one of 'call', 'email', 'meeting'")

    def test_unknown_keys_are_refused_at_every_level(self) -> None:
        document = lead_document(
            favourite_colour="blue",
            touches=[{"occurred_at": "2026-03-02T09:30:00Z", "utm_whatever": "x"}],
        )
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, document)
        assert problems(error) == [
            ("favourite_colour", "blue", "is not a field of Lead"),
            ("touches[0].utm_whatever", "x", "is not a field of Touchpoint"),
        ]

    def test_missing_required_keys_are_named(self) -> None:
        with pytest.raises(ValidationError) as error:
            from_dict(Campaign, {"schema": SCHEMA_VERSION})
        assert problems(error) == [
            ("created_at", MISSING, "is required"),
            ("name", MISSING, "is required"),
        ]

    def test_optional_keys_may_be_absent(self) -> None:
        lead = from_dict(
            Lead,
            {
                "id": str(LEAD_ID.value),
                "created_at": "2026-03-02T09:30:00Z",
                "schema": SCHEMA_VERSION,
            },
        )
        assert lead == Lead(id=LEAD_ID, created_at=T)


class TestErrors:
    def test_every_problem_is_reported_with_its_path(self) -> None:
        document = lead_document(
            email="nope",
            touches=[
                {"occurred_at": "2026-03-02T09:30:00Z"},
                {"occurred_at": "2026-03-02T09:30:00Z", "source": 7},
                {"occurred_at": "2026-03-02"},
            ],
            bant={
                "budget": {
                    "value": {"amount": "10", "currency": "ZZZ"},
                    "assessed_at": "2026-03-02T09:30:00Z",
                }
            },
            custom_fields={"ok": 1, "bad": {"nested": True}},
        )
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, document)
        assert {p.path for p in error.value.problems} == {
            "email",
            "touches[1].source",
            "touches[2].occurred_at",
            "bant.budget.value.currency",
            "custom_fields['bad']",
        }
        assert str(error.value).startswith("invalid Lead (5 problems): ")

    def test_invariants_are_checked_once_the_types_are_right(self) -> None:
        # A class's own invariants (version >= 0 here) run in its constructor, which
        # needs well-typed fields: they are reported once the JSON types are fixed.
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, lead_document(version=-1, first_name=5))
        assert [p.path for p in error.value.problems] == ["first_name"]
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, lead_document(version=-1))
        assert problems(error) == [("version", -1, "must not be negative")]

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (None, "should be an object (Lead), not null"),
            (5, "should be an object (Lead), not a number"),
            ("lead", "should be an object (Lead), not a string"),
            ([], "should be an object (Lead), not an array"),
        ],
    )
    def test_a_document_that_is_not_an_object(self, data: object, reason: str) -> None:
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, data)
        assert problems(error) == [("$", data, reason)]

    def test_schema_is_required_and_checked(self) -> None:
        document = lead_document()
        del document["schema"]
        with pytest.raises(ValidationError) as error:
            from_dict(Lead, document)
        assert problems(error)[0][:2] == ("schema", MISSING)
        with pytest.raises(ValidationError, match="newer than this leadflow reads"):
            from_dict(Lead, lead_document(schema=SCHEMA_VERSION + 1))
        for bad in (0, "1", None, 1.0):
            with pytest.raises(ValidationError, match="schema"):
                from_dict(Lead, lead_document(schema=bad))

    def test_invariants_broken_in_a_document_are_reported_with_paths(self) -> None:
        document = to_dict(Opportunity(created_at=T, name="x", stage="proposal"))
        document["amount"] = {"amount": "-5", "currency": "USD"}
        with pytest.raises(ValidationError) as error:
            from_dict(Opportunity, document)
        assert [p.path for p in error.value.problems] == ["amount"]
        later = lead_document(updated_at="2026-03-01T00:00:00Z")
        with pytest.raises(ValidationError, match="earlier than created_at"):
            from_dict(Lead, later)

    @pytest.mark.parametrize(
        ("text", "fragment"),
        [
            ("{", "is not valid JSON (Expecting property name"),
            ('{"a": NaN}', "NaN is not valid JSON"),
            ("[1, 2", "is not valid JSON"),
            (b"\xff\xfe\x00", "is not valid JSON"),
        ],
    )
    def test_invalid_json_text(self, text: str | bytes, fragment: str) -> None:
        with pytest.raises(ValidationError, match=fragment.replace("(", "\\(")):
            from_json(Lead, text)

    def test_to_json_never_writes_nan(self) -> None:
        lead = attrs.evolve(Lead(created_at=T))
        object.__setattr__(lead, "custom_fields", {"x": float("nan")})  # bypassing the check
        with pytest.raises(ValueError, match="not JSON compliant"):
            to_json(lead)


class TestConverter:
    def test_make_converter_returns_an_independent_converter(self) -> None:
        converter = make_converter()
        assert converter is not make_converter()
        lead = Lead(created_at=T)
        assert converter.structure(converter.unstructure(lead), Lead) == lead

    def test_configure_converter_extends_an_application_converter(self) -> None:
        @attrs.frozen(kw_only=True)
        class Envelope:
            lead: Lead
            received_at: datetime
            tags: tuple[str, ...] = ()

        converter = cattrs.Converter()
        configure_converter(converter)
        envelope = Envelope(lead=Lead(created_at=T), received_at=T, tags=("a",))
        data = converter.unstructure(envelope)
        assert data["received_at"] == "2026-03-02T09:30:00+00:00"
        assert data["lead"]["schema"] == SCHEMA_VERSION
        assert converter.structure(json.loads(json.dumps(data)), Envelope) == envelope
        with pytest.raises(Exception):  # noqa: B017, PT011 - the converter's own error, not ours
            converter.structure({**data, "extra": 1}, Envelope)

    def test_from_dict_reports_paths_in_the_callers_own_classes(self) -> None:
        @attrs.frozen(kw_only=True)
        class Batch:
            name: str
            sizes: list[int]
            lead: Lead

        data = {"name": 7, "sizes": [1, "2", 3, None], "lead": {"schema": 1}}
        with pytest.raises(ValidationError) as error:
            from_dict(Batch, data)
        assert problems(error) == [
            ("name", 7, "should be a string, not a number"),
            ("sizes[1]", "2", "should be an integer, not a string"),
            ("sizes[3]", None, "should be an integer, not null"),
            ("lead.created_at", MISSING, "is required"),
        ]

    def test_the_decimal_quantity_keeps_precision(self) -> None:
        item = LineItem(
            product_id=ProductId(value=uuid.UUID(int=2)),
            quantity=Decimal("1.125"),
            unit_price=Money.of("0.10", "USD"),
        )
        assert from_json(LineItem, to_json(item)).quantity == Decimal("1.125")
