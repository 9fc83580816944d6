from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from leadflow import (
    Account,
    AccountId,
    Activity,
    ActivityKind,
    Campaign,
    CampaignId,
    CampaignStatus,
    Contact,
    ContactId,
    ContactRole,
    Direction,
    EmailAddress,
    ForecastCategory,
    Lead,
    LeadId,
    LeadScore,
    LineItem,
    Money,
    Opportunity,
    PhoneNumber,
    Probability,
    Product,
    ProductId,
    Touchpoint,
    ValidationError,
)

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def paths(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.path for p in error.value.problems]


class TestLead:
    def test_a_bare_fragment_is_a_lead(self) -> None:
        lead = Lead(created_at=T)
        assert lead.status == "new"
        assert lead.version == 0
        assert lead.updated_at == lead.created_at
        assert isinstance(lead.id, LeadId)
        assert lead.full_name is None
        assert lead.touches == ()
        assert lead.product_interests == frozenset()
        assert dict(lead.custom_fields) == {}

    def test_contact_points_are_parsed_from_strings(self) -> None:
        lead = Lead(
            created_at=T,
            email="Ada@Example.com",
            phone="+44 20 7946 0958",
            first_name="Ada",
            last_name="Lovelace",
        )
        assert lead.email == EmailAddress(value="Ada@example.com")
        assert lead.phone == PhoneNumber(raw="+44 20 7946 0958")
        assert lead.full_name == "Ada Lovelace"

    def test_collections_are_frozen(self) -> None:
        touch = Touchpoint(occurred_at=T, source="google")
        custom = {"tier": "gold"}
        lead = Lead(
            created_at=T,
            touches=[touch],
            product_interests=["crm", "crm", "api"],
            custom_fields=custom,
        )
        assert lead.touches == (touch,)
        assert lead.product_interests == frozenset({"crm", "api"})
        custom["tier"] = "changed"
        assert lead.custom_fields["tier"] == "gold", "the lead keeps its own copy"
        with pytest.raises(TypeError):
            lead.custom_fields["tier"] = "x"  # type: ignore[index]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            lead.status = "working"  # type: ignore[misc]

    def test_entities_with_custom_fields_stay_hashable(self) -> None:
        lead = Lead(created_at=T, custom_fields={"tier": "gold", "seats": 12})
        assert hash(lead) == hash(attrs.evolve(lead))
        assert lead.custom_fields == {"tier": "gold", "seats": 12}

    def test_times_are_aware_and_stored_in_utc(self) -> None:
        ny = timezone(timedelta(hours=-5))
        lead = Lead(created_at=datetime(2026, 3, 2, 4, 30, tzinfo=ny))
        assert lead.created_at == T
        assert lead.created_at.tzinfo is UTC
        with pytest.raises(ValidationError) as error:
            Lead(created_at=datetime(2026, 3, 2))
        assert paths(error) == ["created_at"]

    def test_updated_before_created_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="is earlier than created_at") as error:
            Lead(created_at=T, updated_at=T - timedelta(seconds=1))
        assert paths(error) == ["updated_at"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("version", -1),
            ("version", 1.0),
            ("version", True),
            ("company_size", -5),
            ("status", " "),
            ("owner", ""),
            ("custom_fields", {"x": [1, 2]}),
            ("custom_fields", {"x": float("nan")}),
        ],
    )
    def test_broken_invariants_name_the_field(self, field: str, value: object) -> None:
        with pytest.raises(ValidationError) as error:
            Lead(created_at=T, **{field: value})  # type: ignore[arg-type]
        assert error.value.problems[0].path.startswith(field)

    def test_custom_fields_report_each_bad_key(self) -> None:
        with pytest.raises(ValidationError) as error:
            Lead(created_at=T, custom_fields={"ok": 1, "bad": {}, "worse": float("inf")})
        assert paths(error) == ["custom_fields['bad']", "custom_fields['worse']"]

    def test_score(self) -> None:
        score = LeadScore(value=72.5, model="engagement", scored_at=T, grade="A2")
        assert Lead(created_at=T, score=score).score == score
        with pytest.raises(ValidationError, match="finite"):
            LeadScore(value=float("nan"), model="m", scored_at=T)


class TestAccount:
    def test_website_domain_is_normalised(self) -> None:
        account = Account(created_at=T, name="Acme", website_domain="https://www.Acme.com/")
        assert account.website_domain == "acme.com"

    def test_invariants(self) -> None:
        with pytest.raises(ValidationError):
            Account(created_at=T, name="  ")
        with pytest.raises(ValidationError, match="must not be negative"):
            Account(created_at=T, name="A", annual_revenue=Money.of(-1, "USD"))
        account_id = AccountId.new()
        with pytest.raises(ValidationError, match="points at the entity itself"):
            Account(id=account_id, created_at=T, name="A", parent_id=account_id)
        with pytest.raises(ValidationError, match="is not a website"):
            Account(created_at=T, name="A", website_domain="nope")


class TestContact:
    def test_needs_a_name_or_an_email(self) -> None:
        assert Contact(created_at=T, email="a@b.co").full_name is None
        assert Contact(created_at=T, last_name="Lovelace").full_name == "Lovelace"
        with pytest.raises(ValidationError, match="needs a name or an e-mail address"):
            Contact(created_at=T, title="CTO")


class TestOpportunity:
    def opportunity(self, **fields: object) -> Opportunity:
        return Opportunity(created_at=T, name="Acme renewal", stage="proposal", **fields)  # type: ignore[arg-type]

    def test_defaults(self) -> None:
        opp = self.opportunity()
        assert opp.pipeline == "default"
        assert opp.probability is None
        assert opp.forecast_category is None
        assert opp.line_items_total is None

    def test_line_items(self) -> None:
        item = LineItem(
            product_id=ProductId.new(),
            quantity=3,
            unit_price=Money.of(100, "USD"),
            discount=Decimal("0.1"),
        )
        assert item.quantity == Decimal(3)
        assert item.total == Money.of(270, "USD")
        opp = self.opportunity(amount=Money.of(500, "USD"), line_items=[item, item])
        assert opp.line_items_total == Money.of(540, "USD")

    def test_one_currency_per_opportunity(self) -> None:
        euro_item = LineItem(product_id=ProductId.new(), quantity=1, unit_price=Money.of(1, "EUR"))
        with pytest.raises(ValidationError, match="is in EUR but amount is in USD") as error:
            self.opportunity(amount=Money.of(1, "USD"), line_items=[euro_item])
        assert paths(error) == ["line_items[0].unit_price"]
        dollar_item = attrs.evolve(euro_item, unit_price=Money.of(1, "USD"))
        with pytest.raises(ValidationError, match="line_items\\[0\\]"):
            self.opportunity(line_items=[euro_item, dollar_item])

    @pytest.mark.parametrize(
        ("fields", "path"),
        [
            ({"quantity": 0}, "quantity"),
            ({"quantity": Decimal("NaN")}, "quantity"),
            ({"discount": Decimal("1.5")}, "discount"),
            ({"unit_price": Money.of(-1, "USD")}, "unit_price"),
        ],
    )
    def test_line_item_invariants(self, fields: dict[str, object], path: str) -> None:
        base: dict[str, object] = {
            "product_id": ProductId.new(),
            "quantity": 1,
            "unit_price": Money.of(1, "USD"),
        }
        with pytest.raises(ValidationError) as error:
            LineItem(**{**base, **fields})  # type: ignore[arg-type]
        assert paths(error) == [path]

    def test_overrides_and_roles(self) -> None:
        contact = ContactId.new()
        opp = self.opportunity(
            probability=Probability(value=0.7),
            forecast_category=ForecastCategory.COMMIT,
            contact_roles=[ContactRole(contact_id=contact, role="decision maker")],
            primary_contact_id=contact,
            competitors=["Globex"],
            expected_close_date=date(2026, 6, 30),
        )
        assert opp.contact_roles[0].role == "decision maker"
        assert opp.competitors == ("Globex",)
        with pytest.raises(ValidationError):
            self.opportunity(amount=Money.of(-5, "USD"))
        with pytest.raises(ValidationError):
            Opportunity(created_at=T, name="x", stage="")


class TestCampaign:
    def test_dates_and_money_agree(self) -> None:
        campaign = Campaign(
            created_at=T,
            name="Spring webinar",
            code="spring-webinar",
            channel="events",
            status=CampaignStatus.ACTIVE,
            starts_on=date(2026, 3, 1),
            ends_on=date(2026, 3, 31),
            budget=Money.of(5000, "EUR"),
            actual_cost=Money.of(4200, "EUR"),
        )
        assert campaign.status is CampaignStatus.ACTIVE
        with pytest.raises(ValidationError, match="is earlier than starts_on"):
            attrs.evolve(campaign, ends_on=date(2026, 2, 1))
        with pytest.raises(ValidationError, match="is in USD but budget is in EUR"):
            attrs.evolve(campaign, actual_cost=Money.of(1, "USD"))
        campaign_id = CampaignId.new()
        with pytest.raises(ValidationError, match="itself"):
            Campaign(id=campaign_id, created_at=T, name="x", parent_id=campaign_id)


class TestActivity:
    def test_an_activity_concerns_something(self) -> None:
        lead_id = LeadId.new()
        call = Activity(
            created_at=T,
            kind=ActivityKind.CALL,
            occurred_at=T,
            direction=Direction.OUTBOUND,
            lead_id=lead_id,
            outcome="connected",
        )
        assert call.lead_id == lead_id
        assert not call.is_open
        with pytest.raises(ValidationError, match="needs something it concerns"):
            Activity(created_at=T, kind=ActivityKind.NOTE, occurred_at=T)

    def test_tasks_are_open_until_completed(self) -> None:
        task = Activity(
            created_at=T,
            kind=ActivityKind.TASK,
            occurred_at=T,
            lead_id=LeadId.new(),
            due_at=T + timedelta(days=2),
        )
        assert task.is_open
        assert not attrs.evolve(task, completed_at=T + timedelta(days=1)).is_open
        with pytest.raises(ValidationError, match="naive"):
            attrs.evolve(task, due_at=datetime(2026, 3, 4))


class TestProduct:
    def test_product(self) -> None:
        product = Product(
            created_at=T, code="GTX-PRO", name="GTX Pro", list_price=Money.of(4821, "USD")
        )
        assert product.active
        with pytest.raises(ValidationError):
            Product(created_at=T, code="", name="x")


def test_entities_pickle_and_evolve() -> None:
    lead = Lead(
        created_at=T, email="a@b.co", custom_fields={"k": 1}, touches=[Touchpoint(occurred_at=T)]
    )
    assert pickle.loads(pickle.dumps(lead)) == lead
    moved = attrs.evolve(lead, status="working", updated_at=T + timedelta(hours=1))
    assert moved.id == lead.id
    assert moved.status == "working"
    assert lead.status == "new"
