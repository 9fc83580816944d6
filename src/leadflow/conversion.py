"""Lead conversion, the pure part: what a lead becomes and how it merges into what exists.

:func:`leadflow.services.convert_lead` finds the records a lead matches and stores the
result; the functions here decide what the new or updated account, contact and
opportunity look like, without storage:

* :func:`account_from_lead` and :func:`contact_from_lead` build new records;
* :func:`merge_into_account` and :func:`merge_into_contact` fill only the blanks of a
  matched record (never overwriting what is there), add the lead's touches, and
  keep the newer consent decision per channel;
* :func:`match_domain` is the web domain a lead is matched on (its website, or its
  e-mail's domain unless that is a free-mail provider).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import attrs

from leadflow.accounts import Account
from leadflow.activities import Activity
from leadflow.contacts import Contact
from leadflow.errors import ValidationError
from leadflow.events import Event
from leadflow.leads import Lead
from leadflow.opportunities import ContactRole, Opportunity
from leadflow.values import (
    Authority,
    Consent,
    ConsentRecord,
    PostalAddress,
    Touchpoint,
    website_domain,
)

__all__ = [
    "FREE_MAIL_DOMAINS",
    "AccountMatch",
    "ContactMatch",
    "ConversionResult",
    "account_from_lead",
    "contact_from_lead",
    "contact_roles_from_lead",
    "match_domain",
    "merge_into_account",
    "merge_into_contact",
]

#: How the account was found: given, matched, or created.
AccountMatch = Literal["explicit", "contact", "website_domain", "company_name", "created"]
#: How the contact was found: given, matched, or created.
ContactMatch = Literal["explicit", "email", "created"]

#: Free-mail providers: an address there says nothing about the person's company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "aol.com",
        "gmail.com",
        "gmx.de",
        "gmx.net",
        "googlemail.com",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "qq.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
        "zoho.com",
    }
)


@attrs.frozen(kw_only=True)
class ConversionResult:
    """What a conversion did: the records the lead became, and how each was found."""

    #: The lead, now converted and linked to what it became.
    lead: Lead
    account: Account
    contact: Contact
    #: The opportunity created, or ``None`` when none was asked for.
    opportunity: Opportunity | None
    account_match: AccountMatch
    contact_match: ContactMatch
    #: The lead's activities now also linked to the contact and account.
    relinked_activities: int
    #: The activities the first stage's playbook created.
    playbook_activities: tuple[Activity, ...] = ()
    #: The domain events recorded (state changes and :class:`~leadflow.events.LeadConverted`).
    events: tuple[Event, ...] = ()

    @property
    def created(self) -> tuple[str, ...]:
        """The kinds of record created: some of ``account``, ``contact``, ``opportunity``."""
        made = []
        if self.account_match == "created":
            made.append("account")
        if self.contact_match == "created":
            made.append("contact")
        if self.opportunity is not None:
            made.append("opportunity")
        return tuple(made)

    @property
    def matched(self) -> tuple[str, ...]:
        """The kinds of record that existed and were reused."""
        found = []
        if self.account_match != "created":
            found.append("account")
        if self.contact_match != "created":
            found.append("contact")
        return tuple(found)


def match_domain(lead: Lead) -> str | None:
    """The web domain to match the lead's company on, or ``None``.

    The lead's website when it is a valid one, else its e-mail address's domain
    unless that is in :data:`FREE_MAIL_DOMAINS`.
    """
    if lead.website:
        try:
            return website_domain(lead.website)
        except ValidationError:
            pass
    if lead.email is not None and lead.email.domain not in FREE_MAIL_DOMAINS:
        return lead.email.domain
    return None


def account_from_lead(lead: Lead, *, at: datetime, owner: str | None = None) -> Account:
    """A new account for the lead's company.

    Named after the lead's company, or else the domain it is matched on; a lead with
    neither raises :class:`~leadflow.errors.ValidationError` (pass an account id).
    """
    domain = match_domain(lead)
    name = lead.company.strip() if lead.company and lead.company.strip() else domain
    if name is None:
        raise ValidationError.single(
            "company",
            lead.company,
            "is needed to create an account (or a website, or a company e-mail address); "
            "give the lead a company or pass account_id",
            subject="Lead",
        )
    return Account(
        name=name,
        created_at=at,
        website_domain=domain,
        industry=lead.industry,
        size=lead.company_size,
        address=PostalAddress(country=lead.country) if lead.country else None,
        owner=owner or lead.owner,
    )


def merge_into_account(
    account: Account, lead: Lead, *, at: datetime, domain_taken: bool = False
) -> Account:
    """The account with its blank fields filled from the lead; itself when nothing changes.

    ``domain_taken`` says another account already has the lead's web domain, which is
    then not copied: two accounts with one domain would make matching ambiguous.
    """
    blanks: dict[str, Any] = {}
    domain = match_domain(lead)
    if account.website_domain is None and domain is not None and not domain_taken:
        blanks["website_domain"] = domain
    if account.industry is None and lead.industry is not None:
        blanks["industry"] = lead.industry
    if account.size is None and lead.company_size is not None:
        blanks["size"] = lead.company_size
    if account.owner is None and lead.owner is not None:
        blanks["owner"] = lead.owner
    if not blanks:
        return account
    return attrs.evolve(account, updated_at=max(at, account.updated_at), **blanks)


def contact_from_lead(
    lead: Lead, *, account: Account, at: datetime, owner: str | None = None
) -> Contact:
    """A new contact for the person behind the lead, at ``account``."""
    return Contact(
        created_at=at,
        first_name=lead.first_name or None,
        last_name=lead.last_name or None,
        title=lead.title,
        email=lead.email,
        phone=lead.phone,
        account_id=account.id,
        role=_role(lead),
        consent=lead.consent,
        first_touch=lead.first_touch,
        touches=lead.touches,
        source_lead_id=lead.id,
        owner=owner or lead.owner,
    )


def merge_into_contact(contact: Contact, lead: Lead, *, account: Account, at: datetime) -> Contact:
    """The contact with the lead's touches added, blanks filled and newer consent kept.

    Nothing already on the contact is overwritten, except that a consent decision
    on the lead newer than the contact's replaces it; a contact without an account
    joins ``account``.
    """
    changes: dict[str, Any] = {}
    for field in ("first_name", "last_name", "title", "email", "phone", "owner"):
        if getattr(contact, field) is None and getattr(lead, field):
            changes[field] = getattr(lead, field)
    if contact.account_id is None:
        changes["account_id"] = account.id
    if contact.role is None and _role(lead) is not None:
        changes["role"] = _role(lead)
    if contact.source_lead_id is None:
        changes["source_lead_id"] = lead.id
    if contact.first_touch is None and lead.first_touch is not None:
        changes["first_touch"] = lead.first_touch
    touches = _merge_touches(contact.touches, lead.touches)
    if touches != contact.touches:
        changes["touches"] = touches
    consent = _newer_consent(contact.consent, lead.consent)
    if consent != contact.consent:
        changes["consent"] = consent
    if not changes:
        return contact
    return attrs.evolve(contact, updated_at=max(at, contact.updated_at), **changes)


def contact_roles_from_lead(lead: Lead, contact: Contact) -> tuple[ContactRole, ...]:
    """The contact's role in a deal, from the lead's BANT authority when assessed."""
    role = _role(lead)
    return () if role is None else (ContactRole(contact_id=contact.id, role=role),)


def _role(lead: Lead) -> str | None:
    authority = lead.bant.authority
    if authority is None or authority.value is Authority.NONE:
        return None
    return str(authority.value.value).replace("_", " ")


def _merge_touches(
    existing: tuple[Touchpoint, ...], added: Iterable[Touchpoint]
) -> tuple[Touchpoint, ...]:
    merged = list(existing)
    for touch in added:
        if touch not in merged:
            merged.append(touch)
    return tuple(merged)


def _newer_consent(kept: Consent, offered: Consent) -> Consent:
    changes: dict[str, ConsentRecord] = {}
    for channel in ("email", "phone", "do_not_contact"):
        mine: ConsentRecord | None = getattr(kept, channel)
        theirs: ConsentRecord | None = getattr(offered, channel)
        if theirs is not None and (mine is None or theirs.at > mine.at):
            changes[channel] = theirs
    return attrs.evolve(kept, **changes) if changes else kept
