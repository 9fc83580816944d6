"""The query spec and the entity catalog: checked before any adapter sees a query."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from leadflow import (
    Account,
    AccountId,
    Activity,
    CampaignId,
    Lead,
    LeadId,
    Opportunity,
    Product,
    Touchpoint,
    ValidationError,
)
from leadflow.ports import ENTITIES, Condition, Query, decode_cursor, encode_cursor, entity_spec
from leadflow.serialization import ENTITY_TYPES

T = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def problems(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in error.value.problems]


class TestCatalog:
    def test_every_entity_type_is_catalogued_once(self) -> None:
        assert [spec.cls for spec in ENTITIES] == list(ENTITY_TYPES)
        for spec in ENTITIES:
            assert entity_spec(spec.cls) is entity_spec(spec.name) is entity_spec(spec.id_type)
            assert spec.id_type.kind == spec.name
            assert [f.name for f in spec.fields[:3]] == ["id", "created_at", "updated_at"]
            assert all(f.kind in ("text", "uuid", "timestamp", "date", "bool") for f in spec.fields)

    def test_indexed_values_are_read_from_entities(self) -> None:
        campaign = CampaignId.new()
        lead = Lead(
            created_at=T,
            email="Ada@Example.COM",
            status="working",
            touches=[Touchpoint(occurred_at=T), Touchpoint(occurred_at=T, campaign_id=campaign)],
        )
        spec = entity_spec(Lead)
        values = {f.name: f.read(lead) for f in spec.fields}
        assert values == {
            "id": lead.id.value,
            "created_at": T,
            "updated_at": T,
            "external_id": None,
            "status": "working",
            "owner": None,
            "email": "ada@example.com",
            "campaign_id": campaign.value,
        }

    def test_unknown_entities_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="is not an entity leadflow stores"):
            entity_spec("widget")


class TestQuery:
    def test_filters_are_normalised_conditions(self) -> None:
        account = AccountId.new()
        query = (
            Query(Lead)
            .where(status="new", owner=None, email="Ada@Example.com")
            .where(status=["b", "a", "a"])
            .between("created_at", since=T, until=T + timedelta(days=1))
        )
        assert query.conditions == (
            Condition(field="status", op="eq", value="new"),
            Condition(field="owner", op="null"),
            Condition(field="email", op="eq", value="ada@example.com"),
            Condition(field="status", op="in", value=("a", "b")),
            Condition(field="created_at", op="gte", value=T),
            Condition(field="created_at", op="lt", value=T + timedelta(days=1)),
        )
        contacts = Query(Account).where(website_domain="https://www.ACME.com/x", parent_id=account)
        assert contacts.conditions[0].value == "acme.com"
        assert contacts.conditions[1].value == account.value

    def test_unknown_fields_are_validation_errors_naming_the_choices(self) -> None:
        with pytest.raises(ValidationError) as error:
            Query(Lead).where(statuz="new")
        ((path, reason),) = problems(error)
        assert path == "statuz"
        assert reason.startswith("is not a field a lead query can use; use one of: id, created_at")
        with pytest.raises(ValidationError, match="'; DROP TABLE"):
            Query(Lead).where(**{"status'; DROP TABLE lead; --": "x"})

    @pytest.mark.parametrize(
        ("build", "path"),
        [
            (lambda: Query(Lead).where(status=5), "where.status"),
            (lambda: Query(Lead).where(owner=[]), "where.owner"),
            (lambda: Query(Lead).where(campaign_id="not-an-id"), "where.campaign_id"),
            (lambda: Query(Lead).where(id=AccountId.new()), "where.id"),
            (lambda: Query(Lead).where(email="not an address"), "where.email"),
            (
                lambda: Query(Lead).between("created_at", since=datetime(2026, 1, 1)),
                "between.created_at.since",
            ),
            (lambda: Query(Lead).between("status", since=T), "status"),
            (
                lambda: Query(Opportunity).between("expected_close_date", since=T),
                "between.expected_close_date.since",
            ),
            (lambda: Query(Product).where(active="yes"), "where.active"),
            (lambda: Query(Lead).order_by("status"), "order"),
            (lambda: Query(Lead).limit(0), "page_size"),
            (lambda: Query(Lead).limit(10_001), "page_size"),
        ],
    )
    def test_bad_values_are_refused_with_their_path(self, build, path: str) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ValidationError) as error:
            build()
        assert error.value.problems[0].path == path

    def test_matching_and_ordering_in_memory(self) -> None:
        early = Lead(created_at=T, status="new", owner="ana")
        late = Lead(created_at=T + timedelta(hours=1), status="working")
        query = Query(Lead).where(status=["new", "working"], owner=None)
        assert not query.matches(early)
        assert query.matches(late)
        assert Query(Lead).between("created_at", until=T + timedelta(minutes=1)).matches(early)
        assert not Query(Lead).between("created_at", since=T + timedelta(minutes=1)).matches(early)
        assert Query(Lead).sort_key(early) < Query(Lead).sort_key(late)
        assert (
            Query(Opportunity)
            .between("expected_close_date", since=date(2026, 1, 1))
            .matches(
                Opportunity(created_at=T, name="x", stage="s", expected_close_date=date(2026, 2, 1))
            )
        )
        assert (
            not Query(Activity)
            .where(due_at=None)
            .between("occurred_at", until=T)
            .matches(
                Activity(created_at=T, kind="call", occurred_at=T, lead_id=LeadId.new())  # type: ignore[arg-type]
            )
        )

    def test_refining_a_query_forgets_its_cursor(self) -> None:
        lead = Lead(created_at=T)
        query = Query(Lead).limit(1)
        paged = query.after(encode_cursor(query, lead))
        assert paged.cursor is not None
        assert paged.where(status="new").cursor is None
        assert paged.order_by("-created_at").cursor is None
        assert paged.limit(5).cursor == paged.cursor


class TestCursors:
    def test_a_cursor_points_after_the_last_entity(self) -> None:
        lead = Lead(id=LeadId(value=uuid.UUID(int=5)), created_at=T)
        for order in ("created_at", "-updated_at", "id"):
            query = Query(Lead).order_by(order)
            assert decode_cursor(query, encode_cursor(query, lead)) == query.sort_key(lead)

    @pytest.mark.parametrize("cursor", ["", "garbage", "eyJ4IjoxfQ", "!!!"])
    def test_damaged_cursors_are_refused(self, cursor: str) -> None:
        with pytest.raises(ValidationError, match="is not a cursor leadflow made"):
            Query(Lead).after(cursor)

    def test_a_cursor_only_fits_its_own_query(self) -> None:
        lead = Lead(created_at=T)
        cursor = encode_cursor(Query(Lead).where(status="new"), lead)
        Query(Lead).where(status="new").limit(7).after(cursor)  # the page size may change
        for other in (
            Query(Lead),
            Query(Lead).where(status="old"),
            Query(Lead).where(status="new").order_by("-created_at"),
        ):
            with pytest.raises(ValidationError, match="belongs to another query"):
                other.after(cursor)
