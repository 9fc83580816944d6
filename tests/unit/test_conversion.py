"""The pure part of conversion: matching keys, new records, fill-the-blanks merges."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from leadflow import (
    BANT,
    Account,
    Assessment,
    Authority,
    Consent,
    Contact,
    Lead,
    Touchpoint,
    ValidationError,
    company_key,
)
from leadflow.conversion import (
    ConversionResult,
    account_from_lead,
    contact_from_lead,
    contact_roles_from_lead,
    match_domain,
    merge_into_account,
    merge_into_contact,
)

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = T + timedelta(days=3)


def lead(**fields: object) -> Lead:
    return Lead(created_at=T, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme", "acme"),
        ("ACME, Inc.", "acme"),
        ("The Acme Company", "acme"),
        ("Acme Corp. Ltd", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Smith & Sons GmbH", "smith and sons"),
        ("  Acme   Widgets  ", "acme widgets"),
        ("Inc.", "inc"),  # only a legal form: kept
        ("The", "the"),
        ("---", "---"),  # nothing to fold: as written
    ],
)
def test_company_key(name: str, key: str) -> None:
    assert company_key(name) == key


def test_company_key_refuses_non_text() -> None:
    with pytest.raises(ValidationError, match="is not a string"):
        company_key(42)  # type: ignore[arg-type]


class TestMatchDomain:
    def test_website_first(self) -> None:
        assert match_domain(lead(website="https://www.Acme.com/x", email="a@other.io")) == (
            "acme.com"
        )

    def test_company_email_domain_but_not_free_mail(self) -> None:
        assert match_domain(lead(email="ada@Acme.io")) == "acme.io"
        assert match_domain(lead(email="ada@gmail.com")) is None
        assert match_domain(lead(website="not a site", email="ada@hotmail.com")) is None
        assert match_domain(lead()) is None


class TestNewRecords:
    def test_account_from_the_lead(self) -> None:
        account = account_from_lead(
            lead(
                company=" Acme ",
                website="acme.com",
                industry="software",
                company_size=50,
                country="DE",
                owner="ana",
            ),
            at=T,
        )
        assert (account.name, account.website_domain, account.industry, account.size) == (
            "Acme",
            "acme.com",
            "software",
            50,
        )
        assert account.address is not None
        assert account.address.country == "DE"
        assert (account.owner, account.created_at) == ("ana", T)
        assert account_from_lead(lead(company="A", owner="ana"), at=T, owner="bo").owner == "bo"

    def test_account_named_after_the_domain_without_a_company(self) -> None:
        assert account_from_lead(lead(email="ada@acme.io"), at=T).name == "acme.io"

    def test_no_company_at_all_is_refused(self) -> None:
        with pytest.raises(ValidationError) as error:
            account_from_lead(lead(email="ada@gmail.com"), at=T)
        (problem,) = error.value.problems
        assert problem.path == "company"
        assert "pass account_id" in problem.reason

    def test_contact_from_the_lead(self) -> None:
        touch = Touchpoint(occurred_at=T, source="google")
        source = lead(
            first_name="Ada",
            last_name="Lovelace",
            email="ada@acme.com",
            first_touch=touch,
            touches=[touch],
            owner="ana",
            bant=BANT(authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=T)),
        )
        account = Account(name="Acme", created_at=T)
        contact = contact_from_lead(source, account=account, at=T)
        assert (contact.full_name, str(contact.email), contact.account_id) == (
            "Ada Lovelace",
            "ada@acme.com",
            account.id,
        )
        assert (contact.first_touch, contact.touches, contact.source_lead_id) == (
            touch,
            (touch,),
            source.id,
        )
        assert contact.role == "decision maker"
        (role,) = contact_roles_from_lead(source, contact)
        assert (role.contact_id, role.role) == (contact.id, "decision maker")
        assert contact_roles_from_lead(lead(), contact) == ()


class TestMerges:
    def test_account_blanks_are_filled_and_nothing_overwritten(self) -> None:
        account = Account(name="Acme", created_at=T, industry="retail")
        merged = merge_into_account(
            account, lead(website="acme.com", industry="software", company_size=9), at=LATER
        )
        assert (merged.website_domain, merged.industry, merged.size, merged.updated_at) == (
            "acme.com",
            "retail",
            9,
            LATER,
        )
        full = attrs.evolve(merged, owner="bo")
        assert merge_into_account(full, lead(industry="x", owner="ana"), at=LATER) is full

    def test_contact_keeps_its_fields_and_gains_touches_and_newer_consent(self) -> None:
        old_touch = Touchpoint(occurred_at=T, source="event")
        new_touch = Touchpoint(occurred_at=LATER, source="google")
        contact = Contact(
            created_at=T,
            first_name="Ada",
            email="ada@acme.com",
            title="CTO",
            touches=[old_touch],
            consent=Consent().record("email", given=True, at=T),
        )
        source = lead(
            first_name="Adeline",
            last_name="Lovelace",
            title="Engineer",
            phone="+44 20 7946 0000",
            touches=[old_touch, new_touch],
            consent=Consent()
            .record("email", given=False, at=LATER)
            .record("phone", given=True, at=T - timedelta(days=1)),
        )
        account = Account(name="Acme", created_at=T)
        merged = merge_into_contact(contact, source, account=account, at=LATER)
        assert (merged.first_name, merged.last_name, merged.title) == ("Ada", "Lovelace", "CTO")
        assert merged.phone is not None
        assert merged.account_id == account.id
        assert merged.touches == (old_touch, new_touch)
        assert merged.consent.email is not None
        assert merged.consent.email.given is False
        assert merged.consent.phone == source.consent.phone
        assert merged.source_lead_id == source.id
        assert merged.updated_at == LATER

    def test_older_consent_does_not_win(self) -> None:
        contact = Contact(
            created_at=T,
            email="ada@acme.com",
            account_id=Account(name="A", created_at=T).id,
            consent=Consent().record("email", given=True, at=LATER),
        )
        stale = lead(consent=Consent().record("email", given=False, at=T))
        merged = merge_into_contact(
            attrs.evolve(contact, source_lead_id=stale.id),
            stale,
            account=Account(name="A", created_at=T),
            at=LATER,
        )
        assert merged is not contact or merged.consent == contact.consent
        assert merged.consent == contact.consent


def test_result_lists_what_was_created_and_matched() -> None:
    account = Account(name="Acme", created_at=T)
    contact = Contact(created_at=T, first_name="Ada")
    result = ConversionResult(
        lead=lead(),
        account=account,
        contact=contact,
        opportunity=None,
        account_match="website_domain",
        contact_match="created",
        relinked_activities=0,
    )
    assert (result.created, result.matched) == (("contact",), ("account",))
