r"""A deterministic synthetic B2B organisation, with the truth its data hides.

:func:`synthetic` makes a company that sells software to other businesses, as its
CRM would show it at the end of a window of ``days`` (the data set's "now",
:attr:`SyntheticOrganisation.end`):

* about eight **campaigns** (:class:`~leadflow.campaigns.Campaign`) across paid
  search (with ad codes and search terms), paid social, an e-mail newsletter, a
  webinar, a trade show, a partner programme and organic search (which costs
  nothing), each with a ``code`` used as ``utm_campaign``, dates inside the window, a
  budget and what it actually cost, in one currency;
* **accounts** (:class:`~leadflow.accounts.Account`) already in the CRM before the
  window, each with one to four **contacts** (:class:`~leadflow.contacts.Contact`);
* the **leads** (:class:`~leadflow.leads.Lead`) that arrived during the window, more
  on weekdays than at weekends, in the order they arrived, all in status ``new``:
  names, titles of every seniority, companies with web domains (some of them
  existing accounts, so that conversion matches them), business or free-mail
  addresses, phones now and then, country, industry, size, product interests, a
  first touch (source, medium, campaign, ad code) and often later touches, an owner
  for most, BANT fragments (:class:`~leadflow.values.Assessment` with
  ``assessed_at``) and consent records (opt-ins, opt-outs, none);
* every **activity** (:class:`~leadflow.activities.Activity`) with those leads, from
  the form submission or event that brought each in, through web visits, newsletter
  opens and clicks and unsubscribes, to the reps' calls, e-mails, meetings and tasks.

The data is messy as real data is, and the truth says where: about 3% of the leads
are **duplicates** (the same person again later, the address differing in case or,
in the table, in surrounding spaces), about 10% lack a field or two (no company, no
title, no country, ...), and sources are spelled in mixed case (``Google``,
``google``, ``GOOGLE``).

The hidden truth
    Each lead has a :class:`LeadTruth`.  Its ``propensity`` is a logistic function
    of what can be observed plus noise:

    .. math::

        p = \operatorname{logistic}(\beta_0 + s_\text{title} + s_\text{size}
            + s_\text{industry} + s_\text{country} + s_\text{source}
            + s_\text{free mail} + s_\text{account} + \varepsilon),
        \quad \varepsilon \sim N(0, 1)

    with :math:`\beta_0 = -2.2` and terms for the seniority of the title (from
    -2.0 for a student to +1.2 for a C-level title), the company's size (+0.5 per
    tenfold employees from 100, within -1 and +1), how well its industry (-0.6 to
    +0.6) and country (-0.5 to +0.3) fit, how good the lead's source is (-0.5 for
    paid social to +1.0 for a partner's referral), a free-mail address (-0.4) and
    an existing account (+0.4).  :math:`\varepsilon` is the person's intent, which no
    field shows but their **engagement** does: the rate of every kind of activity
    (demo requests, event attendance, web visits, e-mail opens and clicks, replies
    to the reps, the reps' calls, e-mails and meetings) rises with :math:`p` and,
    but for the call or meeting in which a converting lead is qualified, depends on
    nothing else.  ``converts`` is drawn with probability :math:`p`, so the
    propensity is the best score there is and still ranks the converting leads
    far from perfectly (a ROC AUC of about 0.8).  A converting lead's deal is won
    with probability :math:`\operatorname{logistic}(0.35 + 0.9\,\eta)`, where
    :math:`\eta` is the logit above (about 45% of the deals are).  Amounts are
    log-normal with a median of :math:`6000\,(\text{size}/50)^{0.3}` and cycles
    with one of :math:`30\,(\text{size}/50)^{0.15}` days.  About a fifth of the
    leads convert.

What the leads show
    Leads are as the CRM holds them at ``end``, except that nobody has moved them
    through the lifecycle yet: what sales learned (BANT assessments from calls and
    meetings) is on them with its time, so score them at an earlier ``at`` when
    evidence gathered after that moment must not count.  A lead that converts
    always has an owner, a way to be reached with opt-in consent and at least three
    BANT criteria assessed, so that the default lifecycle's ``qualify``
    (:func:`~leadflow.lifecycle.lead_lifecycle`) lets it through; this makes the
    number of criteria known an unfairly good predictor at ``end``.  A duplicate
    never converts itself: its original carries the outcome.  The reps stop working
    a lead when it converts (at ``LeadTruth.converts_at``); marketing activities go
    on to ``end``.

Determinism
    The same arguments give equal organisations, ids included: ids are UUID version 7
    whose timestamp is the entity's ``created_at`` (an activity's ``occurred_at``) and
    whose random bits come from the seeded generator, never from the clock.  Different
    seeds give different organisations.

:meth:`SyntheticOrganisation.leads_table` gives the leads as rows of text as a CRM
export would (with, on request, deliberately bad rows), and :data:`LEADS_MAPPING`
is the :class:`~leadflow.tabular.ColumnMapping` that reads them back with
:func:`~leadflow.tabular.read_leads`.
"""

from __future__ import annotations

import csv
import math
import os
import random
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from leadflow._currencies import MINOR_UNITS
from leadflow._fields import FrozenMap, aware, fail, non_negative, to_tuple, to_utc, to_utc_optional
from leadflow.accounts import Account
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.campaigns import Campaign, CampaignStatus
from leadflow.contacts import Contact
from leadflow.errors import InvalidConfiguration
from leadflow.leads import Lead
from leadflow.values import (
    BANT,
    AccountId,
    ActivityId,
    Assessment,
    Authority,
    CampaignId,
    Consent,
    ContactId,
    EmailAddress,
    EntityId,
    LeadId,
    Money,
    Need,
    PostalAddress,
    Touchpoint,
    uuid7_of,
)

__all__ = ["LEADS_MAPPING", "LeadTruth", "SyntheticOrganisation", "synthetic"]

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_DAY = 86_400
_IdT = TypeVar("_IdT", bound=EntityId)
_X = TypeVar("_X")

#: The earliest and latest ``start`` accepted: accounts are created up to three years
#: before it, and a UUID version 7 cannot hold a time before 1970.
_EARLIEST = datetime(1980, 1, 1, tzinfo=_UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=_UTC)

# ======================================================================== truth


def _unit_interval(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        fail(inst, attribute.name, value, "must be within 0..1")


@attrs.frozen(kw_only=True)
class LeadTruth:
    """What the data hides about one lead; scoring and forecasting are measured against it.

    ``converts_at`` and :attr:`closes_at` say when the conversion and the deal's close
    happen in the hidden story; either may lie after the data set's ``end`` (not
    happened yet).  For a lead that does not convert, ``amount`` and ``cycle_days``
    are what its deal would have been.
    """

    #: How likely the lead is to become a customer, 0..1.
    propensity: float = attrs.field(validator=_unit_interval)
    #: Drawn from ``propensity``: sales will find the lead qualified and convert it.
    converts: bool
    #: Whether the converted lead's deal is won; ``False`` when it does not convert.
    wins: bool
    #: What its deal is worth (log-normal, larger for bigger companies).
    amount: Money
    #: Days from the conversion to the deal's close.
    cycle_days: int = attrs.field(validator=non_negative)
    #: On a duplicate lead: the earlier lead it repeats.
    duplicate_of: LeadId | None = None
    #: When sales converts the lead (``None`` when it does not convert).
    converts_at: datetime | None = attrs.field(
        default=None, converter=to_utc_optional, validator=aware
    )

    @property
    def closes_at(self) -> datetime | None:
        """When the converted lead's deal closes, won or lost (``None`` if it does not convert)."""
        if self.converts_at is None:
            return None
        return self.converts_at + timedelta(days=self.cycle_days)


# ==================================================================== the table

#: How :func:`~leadflow.tabular.read_leads` reads :meth:`SyntheticOrganisation.leads_table`.
LEADS_MAPPING: str = """\
# How leadflow.tabular reads SyntheticOrganisation.leads_table() (leadflow.datasets).
created_at = { column = "Created" }
time_zone = "UTC"
missing = ["n/a"]

[columns]
"Lead ID" = "external_id"
"First Name" = "first_name"
"Last Name" = "last_name"
"Email" = "email"
"Phone" = "phone"
"Company" = "company"
"Website" = "website"
"Job Title" = "title"
"Industry" = "industry"
"Employees" = "company_size"
"Country" = "country"
"Lead Source" = "source"
"Medium" = "medium"
"Campaign" = "campaign"
"Ad Code" = "ad_code"
"Owner" = "owner"
"Do Not Email" = "do_not_email"
"""

_COLUMNS = (
    "Lead ID",
    "Created",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Company",
    "Website",
    "Job Title",
    "Industry",
    "Employees",
    "Country",
    "Lead Source",
    "Medium",
    "Campaign",
    "Ad Code",
    "Owner",
    "Do Not Email",
)

#: The prefix of the leads' ids in the "source system" (``Lead.external_id``).
_EXTERNAL = "SRC-"


def _frozen_truth(value: Mapping[LeadId, LeadTruth]) -> FrozenMap[LeadId, LeadTruth]:
    return value if isinstance(value, FrozenMap) else FrozenMap(value)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


@attrs.frozen(kw_only=True, repr=False)
class SyntheticOrganisation:
    """A synthetic B2B organisation and its hidden truth; see :func:`synthetic`.

    Everything is sorted by time: leads by ``created_at`` (as they arrived) and
    activities by ``occurred_at``.  Every activity concerns one lead (``lead_id``)
    and happened within ``[lead.created_at, end]``.  Money is in ``currency``.
    """

    #: The seed the organisation was made from.
    seed: int
    #: The start of the window the leads arrived in.
    start: datetime = attrs.field(converter=to_utc, validator=aware)
    #: The end of the window: the data set's "now", the last moment of its history.
    end: datetime = attrs.field(converter=to_utc, validator=aware)
    #: The ISO 4217 code of every amount.
    currency: str
    #: The marketing campaigns, in the order of their channels.
    campaigns: tuple[Campaign, ...] = attrs.field(converter=to_tuple)
    #: Companies in the CRM before the window (some leads come from them).
    accounts: tuple[Account, ...] = attrs.field(converter=to_tuple)
    #: One to four people at each account.
    contacts: tuple[Contact, ...] = attrs.field(converter=to_tuple)
    #: The leads as they arrived, sorted by ``created_at``, all in status ``new``.
    leads: tuple[Lead, ...] = attrs.field(converter=to_tuple)
    #: Every interaction with the leads, sorted by ``occurred_at``.
    activities: tuple[Activity, ...] = attrs.field(converter=to_tuple)
    #: The hidden truth of every lead.
    truth: Mapping[LeadId, LeadTruth] = attrs.field(converter=_frozen_truth)

    def __repr__(self) -> str:
        return (
            f"SyntheticOrganisation(seed={self.seed}, start={self.start.isoformat()}, "
            f"end={self.end.isoformat()}, currency={self.currency!r}, "
            f"campaigns={len(self.campaigns)}, accounts={len(self.accounts)}, "
            f"contacts={len(self.contacts)}, leads={len(self.leads)}, "
            f"activities={len(self.activities)})"
        )

    def leads_table(self, *, bad_rows: int = 0) -> list[dict[str, str]]:
        """The leads as rows of text, one per lead in arrival order, as a CRM exports them.

        The columns are those :data:`LEADS_MAPPING` reads: ``Lead ID`` (the lead's
        ``external_id``), ``Created``, names, ``Email``, ``Phone``, ``Company``,
        ``Website``, ``Job Title``, ``Industry``, ``Employees``, ``Country``, the first
        touch's ``Lead Source``, ``Medium``, ``Campaign`` and ``Ad Code``, ``Owner`` and
        ``Do Not Email``.  Like a real export it is a little untidy: some empty cells
        read ``n/a``, some times have no UTC offset (they are in UTC), and e-mail
        addresses sometimes have spaces around them (a duplicate whose address is the
        same as its original's always has).

        ``bad_rows`` inserts that many extra rows, at places the seed decides, each
        with exactly one deliberately bad value (an invalid e-mail address, a date that
        does not exist, a negative or non-numeric company size, a phone number that is
        text) and a ``Lead ID`` of its own after the leads' ones.  Reading the table
        with :data:`LEADS_MAPPING` rejects exactly those rows, one problem each.
        """
        if isinstance(bad_rows, bool) or not isinstance(bad_rows, int) or bad_rows < 0:
            raise InvalidConfiguration(
                key="bad_rows", reason="must be a whole number >= 0", value=bad_rows
            )
        rng = random.Random(f"leadflow.synthetic/{self.seed}/table")
        emails = {lead.id: lead.email for lead in self.leads}
        rows = [self._row(lead, rng, emails) for lead in self.leads]
        if bad_rows:
            bad = random.Random(f"leadflow.synthetic/{self.seed}/bad-rows")
            good = list(rows)
            first = len(self.leads) + 1
            for k in range(bad_rows):
                base = dict(bad.choice(good)) if good else _template_row(self.start)
                base["Lead ID"] = f"{_EXTERNAL}{first + k:06d}"
                _corrupt(base, bad)
                rows.insert(bad.randint(0, len(rows)), base)
        return rows

    def write_leads_csv(self, path: str | os.PathLike[str], *, bad_rows: int = 0) -> None:
        """Write :meth:`leads_table` to a UTF-8 CSV file at ``path``, header first."""
        rows = self.leads_table(bad_rows=bad_rows)
        with open(path, "w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)

    def _row(
        self, lead: Lead, rng: random.Random, emails: Mapping[LeadId, EmailAddress | None]
    ) -> dict[str, str]:
        touch = lead.first_touch
        original = self.truth[lead.id].duplicate_of
        email = _cell(lead.email)
        same_as_original = original is not None and emails.get(original) == lead.email
        if email and (same_as_original or rng.random() < 0.02):
            email = f"  {email} "
        created = lead.created_at
        stamp = (
            created.replace(tzinfo=None).isoformat(sep=" ")
            if rng.random() < 0.2
            else created.isoformat()
        )
        opted_out = lead.consent.email is not None and not lead.consent.email.given
        row = {
            "Lead ID": _cell(lead.external_id),
            "Created": stamp,
            "First Name": _cell(lead.first_name),
            "Last Name": _cell(lead.last_name),
            "Email": email,
            "Phone": _cell(lead.phone),
            "Company": _cell(lead.company),
            "Website": _cell(lead.website),
            "Job Title": _cell(lead.title),
            "Industry": _cell(lead.industry),
            "Employees": _cell(lead.company_size),
            "Country": _cell(lead.country),
            "Lead Source": _cell(touch.source if touch else None),
            "Medium": _cell(touch.medium if touch else None),
            "Campaign": _cell(touch.campaign if touch else None),
            "Ad Code": _cell(touch.ad_code if touch else None),
            "Owner": _cell(lead.owner),
            "Do Not Email": rng.choice(("yes", "Yes")) if opted_out else rng.choice(("no", "No")),
        }
        for column, value in row.items():
            if not value and column not in ("Lead ID", "Created") and rng.random() < 0.15:
                row[column] = "n/a"
        return row


def _template_row(start: datetime) -> dict[str, str]:
    """A plausible row to corrupt when there are no leads to copy one from."""
    return {
        "Lead ID": "",
        "Created": start.isoformat(),
        "First Name": "Jane",
        "Last Name": "Doe",
        "Email": "jane.doe@example.com",
        "Phone": "+44 20 7946 0000",
        "Company": "Example Ltd",
        "Website": "example.com",
        "Job Title": "Operations Manager",
        "Industry": "Software & Internet",
        "Employees": "120",
        "Country": "United Kingdom",
        "Lead Source": "Google",
        "Medium": "cpc",
        "Campaign": "",
        "Ad Code": "",
        "Owner": "",
        "Do Not Email": "no",
    }


def _corrupt(row: dict[str, str], rng: random.Random) -> None:
    """Spoil exactly one cell of ``row`` in a way :data:`LEADS_MAPPING` refuses."""
    kind = rng.randrange(5)
    if kind == 0:
        address = row["Email"].strip()
        local = address.partition("@")[0] if "@" in address else "jane.doe"
        row["Email"] = f"{local}(at)example.com"
    elif kind == 1:
        year = row["Created"][:4] if row["Created"][:4].isdigit() else "2026"
        row["Created"] = f"{year}-02-30T09:15:00+00:00"
    elif kind == 2:
        size = row["Employees"] if row["Employees"].isdigit() else "25"
        row["Employees"] = f"-{max(int(size), 1)}"
    elif kind == 3:
        row["Employees"] = rng.choice(("50-200", "about 40", "1k+"))
    else:
        row["Phone"] = rng.choice(("call after 5pm", "ask reception", "unknown"))


# ================================================================ the generator


def synthetic(
    *,
    leads: int = 1_000,
    seed: int = 0,
    start: datetime = datetime(2026, 1, 1, tzinfo=_UTC),
    days: int = 180,
    currency: str = "EUR",
) -> SyntheticOrganisation:
    """Make a deterministic synthetic B2B organisation with a hidden truth.

    ``leads`` leads arrive over ``days`` days from ``start`` (an aware date-time, from
    1980 to 9000); the organisation's ``end`` is ``start + days``.  Amounts are in
    ``currency`` (an ISO 4217 code, any case) and drawn as if in euros: no exchange
    rate is applied.  The module's documentation describes what is generated and the
    hidden truth.  10,000 leads, with their activities, take about two seconds.

    A bad argument raises :class:`~leadflow.errors.InvalidConfiguration` naming it.
    """
    if isinstance(leads, bool) or not isinstance(leads, int) or leads < 0:
        raise InvalidConfiguration(key="leads", reason="must be a whole number >= 0", value=leads)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidConfiguration(key="seed", reason="must be a whole number", value=seed)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidConfiguration(key="days", reason="must be a whole number >= 1", value=days)
    if not isinstance(start, datetime):
        raise InvalidConfiguration(key="start", reason="must be a date-time", value=start)
    if start.utcoffset() is None:
        raise InvalidConfiguration(
            key="start", reason="has no UTC offset; give an aware date-time", value=start
        )
    start = start.astimezone(_UTC)
    if not _EARLIEST <= start < _LATEST:
        raise InvalidConfiguration(
            key="start", reason="must be from 1980 to 9000", value=start.isoformat()
        )
    try:
        start + timedelta(days=days)
    except OverflowError:
        raise InvalidConfiguration(
            key="days", reason="takes the window past the year 9999", value=days
        ) from None
    code = currency.strip().upper() if isinstance(currency, str) else currency
    if code not in MINOR_UNITS:
        raise InvalidConfiguration(
            key="currency", reason="is not an active ISO 4217 currency code", value=currency
        )
    return _Generator(leads=leads, seed=seed, start=start, days=days, currency=code).run()


# ------------------------------------------------------------------- the world


@attrs.frozen
class _Country:
    name: str
    weight: float
    fit: float
    region: str
    tld: str
    phone: str
    forms: tuple[str, ...]
    cities: tuple[str, ...]


_COUNTRIES = (
    _Country("Germany", 20, 0.3, "de", "de", "+49", ("GmbH", "AG", "GmbH & Co. KG"),
             ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart")),
    _Country("Austria", 3, 0.3, "de", "at", "+43", ("GmbH", "AG"), ("Wien", "Graz", "Linz")),
    _Country("Switzerland", 3, 0.3, "de", "ch", "+41", ("AG", "GmbH", "SA"),
             ("Zürich", "Basel", "Bern", "Genève")),
    _Country("United Kingdom", 14, 0.3, "en", "co.uk", "+44", ("Ltd", "plc", "Limited"),
             ("London", "Manchester", "Leeds", "Bristol", "Edinburgh")),
    _Country("Ireland", 2, 0.1, "en", "ie", "+353", ("Ltd", "DAC"), ("Dublin", "Cork")),
    _Country("Netherlands", 7, 0.3, "nl", "nl", "+31", ("B.V.", "N.V."),
             ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven")),
    _Country("Sweden", 4, 0.3, "nordic", "se", "+46", ("AB",), ("Stockholm", "Göteborg", "Malmö")),
    _Country("Denmark", 2, 0.3, "nordic", "dk", "+45", ("A/S", "ApS"), ("København", "Aarhus")),
    _Country("Norway", 2, 0.2, "nordic", "no", "+47", ("AS",), ("Oslo", "Bergen")),
    _Country("Finland", 1, 0.2, "nordic", "fi", "+358", ("Oy",), ("Helsinki", "Tampere")),
    _Country("France", 8, 0.2, "fr", "fr", "+33", ("SAS", "SA", "SARL"),
             ("Paris", "Lyon", "Toulouse", "Nantes", "Lille")),
    _Country("Spain", 5, 0.0, "es", "es", "+34", ("S.L.", "S.A."),
             ("Madrid", "Barcelona", "Valencia", "Sevilla")),
    _Country("Italy", 5, 0.0, "it", "it", "+39", ("S.r.l.", "S.p.A."),
             ("Milano", "Roma", "Torino", "Bologna")),
    _Country("Poland", 4, 0.0, "pl", "pl", "+48", ("Sp. z o.o.", "S.A."),
             ("Warszawa", "Kraków", "Wrocław", "Gdańsk")),
    _Country("United States", 12, -0.1, "en", "com", "+1", ("Inc.", "LLC", "Corp."),
             ("New York", "Boston", "Austin", "Chicago", "San Francisco")),
    _Country("India", 4, -0.5, "asia", "in", "+91", ("Pvt. Ltd.", "Ltd"),
             ("Bengaluru", "Mumbai", "Pune", "Hyderabad")),
    _Country("Singapore", 1, -0.3, "asia", "sg", "+65", ("Pte. Ltd.",), ("Singapore",)),
    _Country("Australia", 2, -0.3, "en", "com.au", "+61", ("Pty Ltd",),
             ("Sydney", "Melbourne", "Brisbane")),
)  # fmt: skip

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "de": (
        ("Anna", "Lukas", "Julia", "Jonas", "Lena", "Felix", "Sophie", "Maximilian", "Katharina",
         "Jürgen", "Sabine", "Stefan", "Birgit", "Tobias", "Miriam", "Jörg", "Heike", "Niklas"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Krüger", "Braun",
         "Zimmermann", "Hartmann", "Lange"),
    ),
    "en": (
        ("Oliver", "Amelia", "Jack", "Emily", "Harry", "Olivia", "James", "Charlotte", "Michael",
         "Jennifer", "David", "Sarah", "Daniel", "Jessica", "Thomas", "Grace", "Ryan", "Megan"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
         "Wright", "O'Connor", "Murphy", "Walker", "Evans", "Thompson", "Garcia", "Hughes",
         "Clarke", "Patel", "Bennett"),
    ),
    "nl": (
        ("Daan", "Sanne", "Sem", "Lotte", "Bram", "Fleur", "Thijs", "Noor", "Ruben", "Eva"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
         "Meijer", "de Boer", "Mulder", "Bos"),
    ),
    "nordic": (
        ("Erik", "Astrid", "Lars", "Ingrid", "Johan", "Sofia", "Nils", "Maja", "Mikael", "Åsa",
         "Freja", "Henrik", "Sanna", "Mikko"),
        ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Hansen",
         "Nielsen", "Virtanen", "Lindqvist", "Berg", "Solberg", "Korhonen", "Dahl"),
    ),
    "fr": (
        ("Camille", "Louis", "Léa", "Hugo", "Chloé", "Antoine", "Manon", "Julien", "Élodie",
         "Mathieu", "Inès", "Nicolas", "Pauline"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Lefèvre", "Moreau", "Laurent", "Girard", "Fontaine"),
    ),
    "es": (
        ("Lucía", "Alejandro", "Martina", "Pablo", "Carmen", "Javier", "Sofía", "Diego", "Elena"),
        ("García", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz",
         "Navarro"),
    ),
    "it": (
        ("Giulia", "Marco", "Francesca", "Alessandro", "Chiara", "Luca", "Sara", "Matteo",
         "Valentina"),
        ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
         "Marino", "Greco"),
    ),
    "pl": (
        ("Jakub", "Zofia", "Kacper", "Julia", "Piotr", "Agnieszka", "Tomasz", "Katarzyna",
         "Michał"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamińska", "Lewandowski", "Zielińska",
         "Szymański"),
    ),
    "asia": (
        ("Aarav", "Priya", "Rohan", "Ananya", "Wei", "Mei", "Arjun", "Kavya", "Jun", "Hui Min"),
        ("Sharma", "Patel", "Singh", "Tan", "Lim", "Nguyen", "Kumar", "Reddy", "Lee", "Iyer"),
    ),
}  # fmt: skip

_REPS: dict[str, tuple[str, ...]] = {
    "de": ("anna.berger", "tom.novak"),
    "pl": ("tom.novak",),
    "en": ("james.okafor", "grace.miller"),
    "nl": ("sofia.lindqvist",),
    "nordic": ("sofia.lindqvist",),
    "fr": ("lucia.romero",),
    "es": ("lucia.romero",),
    "it": ("lucia.romero",),
    "asia": ("mei.chen",),
}
_MARKETER = "nora.weiss"

_FREE_MAIL: dict[str, tuple[str, ...]] = {
    "de": ("gmail.com", "gmx.de", "web.de", "outlook.com"),
    "nordic": ("gmail.com", "outlook.com", "hotmail.com"),
    "asia": ("gmail.com", "yahoo.com", "outlook.com"),
}
_FREE_MAIL_DEFAULT = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com")


@attrs.frozen
class _Industry:
    name: str
    weight: float
    fit: float
    words: tuple[str, ...]


_INDUSTRIES = (
    _Industry("Software & Internet", 18, 0.6, ("Software", "Systems", "Labs", "Digital", "Cloud")),
    _Industry("Financial Services", 10, 0.4, ("Capital", "Finance", "Partners", "Bank")),
    _Industry("Manufacturing", 14, 0.25, ("Industries", "Manufacturing", "Technik", "Werke")),
    _Industry("Logistics", 8, 0.2, ("Logistics", "Freight", "Transport")),
    _Industry("Professional Services", 12, 0.2, ("Consulting", "Advisory", "Group")),
    _Industry("Healthcare", 8, 0.1, ("Health", "Medical", "Care")),
    _Industry("Media", 5, 0.0, ("Media", "Studios", "Publishing")),
    _Industry("Retail", 9, -0.1, ("Retail", "Stores", "Commerce")),
    _Industry("Education", 6, -0.5, ("Academy", "Learning", "Education")),
    _Industry("Government", 4, -0.4, ("Agency", "Services")),
    _Industry("Non-profit", 6, -0.6, ("Foundation", "Trust", "Initiative")),
)

_PREFIXES = (
    "Nord", "Blue", "Alp", "Bright", "Cedar", "Delta", "Ever", "Fjord", "Granite", "Helio",
    "Iron", "Juniper", "Kite", "Lumen", "Maple", "Nova", "Orbit", "Pine", "Quartz", "River",
    "Sol", "Terra", "Ultra", "Vertex", "Willow", "Zen", "Amber", "Beacon", "Cobalt", "Falcon",
    "Harbor", "Indigo", "Lynx", "Meridian", "Oak", "Polar", "Silver", "Summit", "Atlas", "Crest",
)  # fmt: skip
_SUFFIXES = (
    "wind", "path", "stone", "works", "field", "line", "point", "bridge", "gate", "wave",
    "forge", "light", "scale", "view", "core", "wise", "mark", "spring", "leaf", "port",
    "ridge", "shore", "hub", "sys",
)  # fmt: skip

#: Seniority levels: (name, share of leads, logit term, titles).
_SENIORITY: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    ("c_level", 8, 1.2, ("CEO", "Chief Technology Officer", "CFO", "COO", "Chief Marketing Officer",
                         "Chief Revenue Officer", "Founder & CEO", "Managing Director")),
    ("vp", 10, 0.9, ("VP Sales", "VP of Marketing", "VP Operations", "VP Engineering",
                     "Vice President, Customer Success")),
    ("director", 17, 0.6, ("Director of IT", "Head of Operations", "Head of Marketing",
                           "Sales Director", "Director, Revenue Operations",
                           "Head of Customer Service")),
    ("manager", 30, 0.1, ("IT Manager", "Marketing Manager", "Sales Operations Manager",
                          "Operations Manager", "CRM Manager", "Project Manager",
                          "Team Lead Sales")),
    ("individual", 30, -0.5, ("Business Analyst", "Marketing Specialist", "Sales Representative",
                              "Software Engineer", "Account Executive", "Data Analyst",
                              "Office Coordinator", "Consultant")),
    ("junior", 5, -2.0, ("Student", "Intern", "Freelancer", "Researcher")),
)  # fmt: skip

_PRODUCTS = ("CRM Suite", "Marketing Automation", "Analytics", "Service Desk", "API & Integrations")
_PAGES = ("/", "/pricing", "/product/tour", "/blog", "/customers", "/integrations", "/security")
_VENDOR = "https://www.brightlane.example"


@attrs.frozen
class _Channel:
    """A kind of campaign: how its leads arrive and how good they are."""

    key: str
    name: str
    channel: str
    sources: tuple[tuple[str, float], ...]
    medium: str
    #: Relative number of leads a day while the campaign runs.
    weight: float
    #: The source-quality term of the propensity's logit.
    quality: float
    #: The part of the window it runs in, as fractions.
    window: tuple[float, float]
    #: What it costs: per lead, and fixed.
    per_lead: int
    fixed: int
    ad_codes: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    #: How its leads arrive: form, webinar, booth or referral.
    origin: str = "form"
    #: Whether a later touch may come through it.
    web: bool = True


_GOOGLE = (("Google", 0.55), ("google", 0.35), ("GOOGLE", 0.10))

_CHANNELS = (
    _Channel("search-brand", "Brand search", "paid_search", _GOOGLE, "cpc", 1.6, 0.7, (0, 1),
             95, 0, ("gs-brand-01", "gs-brand-02"), ("brightlane", "brightlane crm")),
    _Channel("search-generic", "Generic search", "paid_search",
             (*_GOOGLE[:2], ("Bing", 0.12), ("bing", 0.08)), "cpc", 2.2, 0.0, (0, 1), 140, 0,
             ("gs-crm-01", "gs-crm-02", "gs-leads-01", "bs-crm-01"),
             ("crm software", "lead management", "sales pipeline tool", "b2b crm")),
    _Channel("social", "LinkedIn lead ads", "paid_social",
             (("LinkedIn", 0.6), ("linkedin", 0.3), ("LINKEDIN", 0.1)), "paid_social", 2.4,
             -0.5, (0.15, 0.7), 70, 0, ("li-carousel-a", "li-video-b", "li-form-c")),
    _Channel("newsletter", "Customer newsletter", "email",
             (("newsletter", 0.7), ("Newsletter", 0.3)), "email", 1.0, 0.1, (0, 1), 12, 1500),
    _Channel("webinar", "Webinar: pipeline reviews that work", "webinar",
             (("webinar", 0.8), ("Webinar", 0.2)), "webinar", 6.0, 0.4, (0.3, 0.45), 45, 2500,
             origin="webinar", web=False),
    _Channel("trade-show", "Trade show booth", "events",
             (("tradeshow", 0.6), ("Tradeshow", 0.3), ("TRADESHOW", 0.1)), "event", 14.0, 0.5,
             (0.55, 0.6), 60, 18000, origin="booth", web=False),
    _Channel("partner", "Partner referrals", "partner",
             (("partner-nordlicht", 0.6), ("partner-quayside", 0.4)), "referral", 0.5, 1.0,
             (0, 1), 250, 0, origin="referral", web=False),
    _Channel("organic", "Organic search", "organic", _GOOGLE, "organic", 2.0, 0.2, (0, 1), 0, 0),
)  # fmt: skip

#: Leads (and later touches) that came in directly, without a campaign.
_DIRECT_WEIGHT = 0.6
_DIRECT_QUALITY = 0.3

# The propensity's logit: the intercept and the intent's spread; the win model.
_B0 = -2.2
_INTENT_SD = 1.0
_W0 = 0.35
_W1 = 0.9


@attrs.frozen
class _Plan:
    """One campaign as planned: its channel, id, code and dates."""

    channel: _Channel
    id: CampaignId
    code: str
    created_at: datetime
    starts_on: date
    ends_on: date
    #: When the webinar or the trade show happens.
    event_at: datetime


@attrs.frozen
class _Company:
    brand: str
    legal: str
    domain: str
    industry: _Industry
    size: int
    country: _Country
    account: Account | None = None


@attrs.frozen
class _Person:
    """What a duplicate copies from its original."""

    lead: Lead
    email: str
    truth: LeadTruth


def _ascii(text: str) -> str:
    """A name as letters for an e-mail address: ``"Müller"`` gives ``"mueller"``."""
    text = text.lower()
    for old, new in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ø", "o"), ("æ", "ae")):
        text = text.replace(old, new)
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isascii() and c.isalnum())


def _logistic(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _weighted(rng: random.Random, items: Sequence[tuple[_X, float]]) -> _X:
    return rng.choices([item for item, _ in items], [w for _, w in items])[0]


class _Generator:
    """Builds one organisation; every draw comes from generators seeded from ``seed``."""

    def __init__(self, *, leads: int, seed: int, start: datetime, days: int, currency: str):
        self.n = leads
        self.seed = seed
        self.start = start
        self.days = days
        self.end = start + timedelta(days=days)
        self.currency = currency
        self.first_day = start.date()
        self.last_day = (self.end - timedelta(microseconds=1)).date()
        self.ids = self._stream("ids")
        self.rng = self._stream("leads")
        self.email_keys: set[str] = set()
        self.domains: set[str] = set()
        self.activities: list[Activity] = []
        self.account_companies: list[_Company] = []
        self.used: list[_Company] = []
        self.plans = self._plans()
        self.arrival_table = self._day_tables(self.plans, web_only=False)
        self.touch_table = self._day_tables(self.plans, web_only=True)
        self.newsletter = next(p for p in self.plans if p.channel.key == "newsletter")

    def _stream(self, part: str) -> random.Random:
        return random.Random(f"leadflow.synthetic/{self.seed}/{part}")

    # ------------------------------------------------------------------ helpers

    def _id(self, kind: type[_IdT], moment: datetime) -> _IdT:
        """A UUID version 7 id whose time is ``moment`` and whose random bits are drawn."""
        millis = (moment - _EPOCH) // timedelta(milliseconds=1)
        return kind(value=uuid7_of(millis, self.ids.getrandbits(74)))

    def _money(self, amount: float) -> Money:
        return Money(amount=Decimal(int(amount)), currency=self.currency)

    def _poisson(self, lam: float) -> int:
        """A Poisson draw (Knuth's multiplication method; ``lam`` stays small here)."""
        limit = math.exp(-lam)
        k, product = 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    def _later(self, moment: datetime, mean_days: float) -> datetime:
        """``moment`` plus an exponentially distributed delay, in whole seconds."""
        return moment + timedelta(seconds=int(self.rng.expovariate(1.0 / (mean_days * _DAY))))

    def _activity(
        self,
        kind: ActivityKind,
        at: datetime,
        lead_id: LeadId,
        *,
        direction: Direction | None = None,
        subject: str | None = None,
        campaign: CampaignId | None = None,
        outcome: str | None = None,
        owner: str | None = None,
        due_at: datetime | None = None,
        completed_at: datetime | None = None,
    ) -> None:
        self.activities.append(
            Activity(
                id=self._id(ActivityId, at),
                created_at=at,
                updated_at=completed_at or at,
                kind=kind,
                occurred_at=at,
                direction=direction,
                subject=subject,
                lead_id=lead_id,
                campaign_id=campaign,
                due_at=due_at,
                completed_at=completed_at,
                outcome=outcome,
                owner=owner,
            )
        )

    # ---------------------------------------------------------------- campaigns

    def _plans(self) -> list[_Plan]:
        rng = self._stream("campaigns")
        span = (self.last_day - self.first_day).days + 1
        plans = []
        for channel in _CHANNELS:
            low, high = channel.window
            first = min(int(low * span), span - 1)
            last = min(max(math.ceil(high * span) - 1, first), span - 1)
            starts_on = self.first_day + timedelta(days=first)
            ends_on = self.first_day + timedelta(days=last)
            event_day = ends_on if channel.origin == "webinar" else starts_on
            event_at = datetime.combine(event_day, time(15, 0), tzinfo=_UTC)
            if channel.origin in ("webinar", "booth"):
                code = f"{channel.key}-{event_day:%Y-%m}"
            else:
                code = f"{channel.key}-{starts_on:%Y}"
            created_at = datetime.combine(
                starts_on - timedelta(days=rng.randint(14, 40)), time(9, 30), tzinfo=_UTC
            )
            plans.append(
                _Plan(
                    channel=channel,
                    id=self._id(CampaignId, created_at),
                    code=code,
                    created_at=created_at,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    event_at=event_at,
                )
            )
        return plans

    def _campaigns(self, plans: Sequence[_Plan], counts: Counter[CampaignId]) -> list[Campaign]:
        rng = self._stream("costs")
        campaigns = []
        for plan in plans:
            channel = plan.channel
            spent = channel.fixed + counts[plan.id] * channel.per_lead * rng.uniform(0.8, 1.2)
            planned = spent * rng.uniform(1.0, 1.25) if spent else 0.0
            running = plan.ends_on >= self.last_day
            campaigns.append(
                Campaign(
                    id=plan.id,
                    created_at=plan.created_at,
                    name=channel.name,
                    code=plan.code,
                    channel=channel.channel,
                    status=CampaignStatus.ACTIVE if running else CampaignStatus.COMPLETED,
                    starts_on=plan.starts_on,
                    ends_on=plan.ends_on,
                    budget=self._money(math.ceil(planned / 100) * 100),
                    actual_cost=self._money(round(spent)),
                    owner=_MARKETER,
                )
            )
        return campaigns

    def _day_tables(
        self, plans: Sequence[_Plan], *, web_only: bool
    ) -> dict[date, tuple[list[_Plan | None], list[float]]]:
        """For each day of the window: the campaigns running and their cumulative weights."""
        tables: dict[date, tuple[list[_Plan | None], list[float]]] = {}
        day = self.first_day
        while day <= self.last_day:
            options: list[_Plan | None] = [None]
            weights = [_DIRECT_WEIGHT]
            for plan in plans:
                if plan.starts_on <= day <= plan.ends_on and (plan.channel.web or not web_only):
                    options.append(plan)
                    weights.append(plan.channel.weight)
            cumulative = []
            total = 0.0
            for weight in weights:
                total += weight
                cumulative.append(total)
            tables[day] = (options, cumulative)
            day += timedelta(days=1)
        return tables

    # ------------------------------------------------------ companies and people

    def _company(self, rng: random.Random) -> _Company:
        country = _weighted(rng, [(c, c.weight) for c in _COUNTRIES])
        industry = _weighted(rng, [(i, i.weight) for i in _INDUSTRIES])
        for attempt in range(8):
            brand = rng.choice(_PREFIXES) + rng.choice(_SUFFIXES)
            word = rng.choice(industry.words) if rng.random() < 0.6 else None
            slug = brand.lower() + (f"-{word.lower()}" if word and attempt > 1 else "")
            tld = "com" if rng.random() < 0.3 else country.tld
            if industry.name == "Software & Internet" and rng.random() < 0.3:
                tld = "io"
            domain = f"{slug}.{tld}"
            if domain not in self.domains:
                break
        while domain in self.domains:
            domain = f"{slug}{rng.randint(2, 9999)}.{tld}"
        self.domains.add(domain)
        name = f"{brand} {word}" if word else brand
        size = max(1, min(250_000, round(math.exp(rng.gauss(math.log(80), 1.4)))))
        legal = f"{name} {rng.choice(country.forms)}"
        return _Company(name, legal, domain, industry, size, country)

    def _email(self, rng: random.Random, first: str, last: str, domain: str, free: bool) -> str:
        f, s = _ascii(first) or "x", _ascii(last) or "x"
        if free:
            local = rng.choice((f"{f}.{s}", f"{f}{s}", f"{f}.{s}{rng.randint(1, 99)}"))
        else:
            local = _weighted(
                rng,
                [(f"{f}.{s}", 55), (f"{f[0]}{s}", 15), (f"{f}_{s}", 7), (f, 5), (f"{s}.{f}", 5)],
            )
            if rng.random() < 0.1:
                local = ".".join(part.capitalize() for part in local.split("."))
        candidate, k = local, 1
        while f"{candidate}@{domain}".casefold() in self.email_keys:
            k += 1
            candidate = f"{local}{k}"
        address = f"{candidate}@{domain}"
        self.email_keys.add(address.casefold())
        return address

    @staticmethod
    def _phone(rng: random.Random, country: _Country) -> str:
        if country.phone == "+1":
            number = f"+1 {rng.randint(201, 989)} 555 {rng.randint(0, 9999):04d}"
        else:
            number = f"{country.phone} {rng.randint(10, 99)} {rng.randint(1_000_000, 9_999_999)}"
        if rng.random() < 0.05:
            number += f" ext. {rng.randint(10, 999)}"
        return number

    def _accounts(self) -> tuple[list[_Company], list[Account], list[Contact]]:
        rng = self._stream("accounts")
        companies: list[_Company] = []
        accounts: list[Account] = []
        contacts: list[Contact] = []
        for k in range(math.ceil(self.n * 0.06)):
            company = self._company(rng)
            created = self.start - timedelta(seconds=rng.randint(30 * _DAY, 1000 * _DAY))
            revenue = company.size * 150_000 * math.exp(rng.gauss(0, 0.5))
            account = Account(
                id=self._id(AccountId, created),
                created_at=created,
                name=company.legal,
                website_domain=company.domain,
                industry=company.industry.name,
                size=company.size,
                annual_revenue=self._money(round(revenue, -3)),
                address=PostalAddress(
                    city=rng.choice(company.country.cities), country=company.country.name
                ),
                owner=rng.choice(_REPS[company.country.region]),
                external_id=f"ACC-{k + 1:05d}",
            )
            companies.append(attrs.evolve(company, account=account))
            accounts.append(account)
            for _ in range(rng.randint(1, 4)):
                contacts.append(self._contact(rng, account, company, len(contacts) + 1))
        return companies, accounts, contacts

    def _contact(
        self, rng: random.Random, account: Account, company: _Company, number: int
    ) -> Contact:
        firsts, lasts = _NAMES[company.country.region]
        first, last = rng.choice(firsts), rng.choice(lasts)
        level, _, _, titles = _weighted(rng, [(s, s[1]) for s in _SENIORITY[:5]])
        known = (self.start - account.created_at) // timedelta(seconds=1)
        created = account.created_at + timedelta(seconds=rng.randrange(known))
        consent = Consent()
        if rng.random() < 0.6:
            consent = consent.record("email", given=True, at=created, source="customer portal")
        role = {"c_level": "decision maker", "vp": "decision maker", "director": "influencer"}
        return Contact(
            id=self._id(ContactId, created),
            created_at=created,
            first_name=first,
            last_name=last,
            title=rng.choice(titles),
            email=self._email(rng, first, last, company.domain, free=False),
            phone=self._phone(rng, company.country) if rng.random() < 0.5 else None,
            account_id=account.id,
            role=role.get(level, "user"),
            consent=consent,
            owner=account.owner,
            external_id=f"CON-{number:05d}",
        )

    # ------------------------------------------------------------------- arrivals

    def _arrivals(self) -> list[datetime]:
        """When the leads arrive: more on weekdays, mostly in office hours, sorted."""
        rng = self._stream("arrivals")
        weights = []
        for k in range(self.days):
            weekday = (self.start + timedelta(days=k)).weekday()
            weights.append(1.0 if weekday < 5 else 0.25)
        chosen = rng.choices(range(self.days), weights, k=self.n)
        times = []
        for day in chosen:
            if rng.random() < 0.8:
                second = min(max(int(rng.gauss(13.5 * 3600, 2.8 * 3600)), 0), _DAY - 1)
            else:
                second = rng.randrange(_DAY)
            times.append(self.start + timedelta(days=day, seconds=second))
        times.sort()
        return times

    # ------------------------------------------------------------------- the run

    def run(self) -> SyntheticOrganisation:
        """Draw the whole organisation."""
        plans = self.plans
        self.account_companies, accounts, contacts = self._accounts()
        leads: list[Lead] = []
        truth: dict[LeadId, LeadTruth] = {}
        people: list[_Person] = []
        for i, created in enumerate(self._arrivals()):
            if people and self.rng.random() < 0.03:
                lead, lead_truth = self._duplicate(i, created, self.rng.choice(people))
            else:
                lead, lead_truth = self._lead(i, created)
                if lead.email is not None:
                    people.append(_Person(lead=lead, email=str(lead.email), truth=lead_truth))
            leads.append(lead)
            truth[lead.id] = lead_truth
        counts = Counter(
            lead.first_touch.campaign_id
            for lead in leads
            if lead.first_touch is not None and lead.first_touch.campaign_id is not None
        )
        self.activities.sort(key=lambda activity: activity.occurred_at)
        return SyntheticOrganisation(
            seed=self.seed,
            start=self.start,
            end=self.end,
            currency=self.currency,
            campaigns=self._campaigns(plans, counts),
            accounts=accounts,
            contacts=contacts,
            leads=leads,
            activities=self.activities,
            truth=truth,
        )

    def _campaign_on(
        self, moment: datetime, table: dict[date, tuple[list[_Plan | None], list[float]]]
    ) -> _Plan | None:
        options, cumulative = table[min(moment.date(), self.last_day)]
        return self.rng.choices(options, cum_weights=cumulative)[0]

    def _touch(self, plan: _Plan | None, at: datetime) -> Touchpoint:
        rng = self.rng
        if plan is None:
            return Touchpoint(occurred_at=at, source="(direct)", medium="(none)")
        channel = plan.channel
        source = _weighted(rng, channel.sources)
        ad_code = rng.choice(channel.ad_codes) if channel.ad_codes else None
        term = rng.choice(channel.terms) if channel.terms else None
        page = rng.choice(("/demo", "/pricing", "/", "/guides/pipeline"))
        landing = f"{_VENDOR}{page}?utm_source={source.lower()}&utm_medium={channel.medium}"
        landing += f"&utm_campaign={plan.code}" + (f"&utm_content={ad_code}" if ad_code else "")
        referrer = "https://www.google.com/" if channel.key == "organic" else None
        return Touchpoint(
            occurred_at=at,
            source=source,
            medium=channel.medium,
            campaign_id=plan.id,
            campaign=plan.code,
            ad_code=ad_code,
            term=term,
            referrer=referrer,
            landing_page=landing,
        )

    def _pick_company(self) -> _Company:
        rng = self.rng
        if self.account_companies and rng.random() < 0.10:
            return rng.choice(self.account_companies)
        if self.used and rng.random() < 0.12:
            return rng.choice(self.used)
        company = self._company(rng)
        self.used.append(company)
        return company

    def _lead(self, i: int, created: datetime) -> tuple[Lead, LeadTruth]:
        """One new lead: who, the hidden truth, consent, and everything it did."""
        plan = self._campaign_on(created, self.arrival_table)
        who = self._person(plan)
        story = self._truth(who, created)
        consent = self._consent(who, story)
        touches = [self._touch(plan, created)]
        self._origin(story, plan, touches[0])
        self._engagement(story, touches)
        if story.owner is not None:
            self._sales(story, story.owner)
        fields = self._fields(who)
        bant = story.assess.bant
        changes = [t.occurred_at for t in touches] + [a.assessed_at for a in bant.values()]
        changes += [
            r.at for r in (consent.email, consent.phone, consent.do_not_contact) if r is not None
        ]
        rng = self.rng
        interests = rng.sample(_PRODUCTS, _weighted(rng, [(0, 20), (1, 50), (2, 22), (3, 8)]))
        lead = Lead(
            id=story.lead_id,
            created_at=created,
            updated_at=max(changes),
            email=who.email,
            phone=who.phone,
            product_interests=interests,
            first_touch=touches[0],
            touches=touches,
            owner=story.owner,
            bant=BANT(**bant),
            consent=consent,
            external_id=f"{_EXTERNAL}{i + 1:06d}",
            **fields,
        )
        return lead, story.truth

    def _person(self, plan: _Plan | None) -> _Who:
        """Who the lead is: name, title, company, e-mail address and phone."""
        rng = self.rng
        company = self._pick_company()
        country = company.country
        firsts, lasts = _NAMES[country.region]
        first, last = rng.choice(firsts), rng.choice(lasts)
        level, _, seniority, titles = _weighted(rng, [(s, s[1]) for s in _SENIORITY])
        in_account = company.account is not None
        free_share = 0.05 if in_account else 0.5 if level == "junior" else 0.2
        free = rng.random() < free_share
        domain = rng.choice(_FREE_MAIL.get(country.region, _FREE_MAIL_DEFAULT)) if free else None
        email = None
        if rng.random() >= 0.02:
            email = self._email(rng, first, last, domain or company.domain, free)
        phone = self._phone(rng, country) if email is None or rng.random() < 0.45 else None
        return _Who(
            first=first,
            last=last,
            title=rng.choice(titles),
            level=level,
            seniority=seniority,
            company=company,
            free_mail=free,
            email=email,
            phone=phone,
            plan=plan,
        )

    def _truth(self, who: _Who, created: datetime) -> _Story:
        """The hidden truth: propensity, conversion, the deal; and the lead's owner."""
        rng = self.rng
        company = who.company
        quality = _DIRECT_QUALITY if who.plan is None else who.plan.channel.quality
        logit = (
            _B0
            + who.seniority
            + 0.5 * min(max(math.log10(company.size) - 2.0, -2.0), 2.0)
            + company.industry.fit
            + company.country.fit
            + quality
            + (-0.4 if who.free_mail else 0.0)
            + (0.4 if company.account is not None else 0.0)
            + rng.gauss(0.0, _INTENT_SD)
        )
        p = _logistic(logit)
        converts = rng.random() < p
        wins = converts and rng.random() < _logistic(_W0 + _W1 * logit)
        scale = company.size / 50
        amount = round(math.exp(rng.gauss(math.log(6000 * scale**0.3), 0.55)), -1)
        cycle = round(math.exp(rng.gauss(math.log(30 * scale**0.15), 0.45)))
        converts_at: datetime | None = None
        if converts:
            lag = max(math.exp(rng.gauss(math.log(10), 0.6)), 1.0)
            converts_at = created + timedelta(seconds=int(lag * _DAY))
        truth = LeadTruth(
            propensity=p,
            converts=converts,
            wins=wins,
            amount=self._money(max(amount, 500)),
            cycle_days=min(max(cycle, 7), 365),
            converts_at=converts_at,
        )
        # Leads from an account go to its owner; a few others wait to be routed.
        owner = None
        if converts or rng.random() >= 0.13:
            account = company.account
            owner = account.owner if account else rng.choice(_REPS[company.country.region])
        return _Story(
            lead_id=self._id(LeadId, created),
            created=created,
            cutoff=self.end if converts_at is None else min(self.end, converts_at),
            p=p,
            truth=truth,
            owner=owner,
            assess=_Assessor(rng, p, who.level, float(amount), self.currency),
        )

    def _consent(self, who: _Who, story: _Story) -> Consent:
        """Opt-ins, opt-outs (with their unsubscribe) and do-not-contact requests."""
        rng = self.rng
        created, converts = story.created, story.truth.converts
        consent = Consent()
        if who.email is not None:
            draw = rng.random()
            if converts or draw < 0.72:
                consent = consent.record("email", given=True, at=created, source="web form")
                story.mailing = True
                if not converts and draw >= 0.62:
                    when = self._later(created, 20)
                    if when <= self.end:
                        story.unsubscribed = when
                        consent = consent.record(
                            "email", given=False, at=when, source="unsubscribe link"
                        )
        if who.phone is not None and (rng.random() < 0.35 or (converts and who.email is None)):
            consent = consent.record("phone", given=True, at=created, source="web form")
        if not converts and rng.random() < 0.015:
            when = self._later(created, 10)
            if when <= self.end:
                story.blocked = when
                consent = consent.record("do_not_contact", given=True, at=when, source="call")
        return consent

    def _origin(self, story: _Story, plan: _Plan | None, touch: Touchpoint) -> None:
        """The activity that brought the lead in: a form, a webinar, the booth, a partner."""
        rng, p = self.rng, story.p
        created, lead_id = story.created, story.lead_id
        campaign = None if plan is None else plan.id
        inbound = Direction.INBOUND
        if plan is None or plan.channel.origin == "form":
            demo = rng.random() < 0.05 + 0.5 * p
            subject = "Demo request" if demo else _weighted(rng, _FORMS)
            self._activity(
                ActivityKind.FORM_SUBMISSION, created, lead_id, direction=inbound,
                subject=subject, campaign=campaign,
            )  # fmt: skip
            if demo and rng.random() < 0.5:
                story.assess("budget", created, "web form")
            if demo and rng.random() < 0.4:
                story.assess("timeline", created, "web form")
        elif plan.channel.origin == "webinar":
            name = plan.channel.name
            self._activity(
                ActivityKind.EVENT_REGISTRATION, created, lead_id, direction=inbound,
                subject=f"Registered: {name}", campaign=campaign,
            )  # fmt: skip
            attends = rng.random() < 0.3 + 0.6 * p
            if attends and created <= plan.event_at <= self.end:
                self._activity(
                    ActivityKind.EVENT_ATTENDANCE, plan.event_at, lead_id, direction=inbound,
                    subject=f"Attended: {name}", campaign=campaign,
                )  # fmt: skip
        elif plan.channel.origin == "booth":
            self._activity(
                ActivityKind.EVENT_ATTENDANCE, created, lead_id, direction=inbound,
                subject="Badge scanned at our booth", campaign=campaign,
            )  # fmt: skip
        else:
            self._activity(
                ActivityKind.EMAIL, created, lead_id, direction=inbound,
                subject=f"Introduction via {touch.source}", campaign=campaign,
            )  # fmt: skip

    def _engagement(self, story: _Story, touches: list[Touchpoint]) -> None:
        """Web visits, returns through later touches, newsletter opens, clicks, unsubscribe."""
        rng, p = self.rng, story.p
        # Marketing goes on after a conversion (the rep's work does not: see _sales).
        created, cutoff, lead_id = story.created, self.end, story.lead_id
        inbound = Direction.INBOUND
        for _ in range(self._poisson(0.2 + 12.0 * p)):
            at = self._later(created, 10)
            if at <= cutoff:
                page = rng.choice(_PAGES[1:3]) if rng.random() < p else rng.choice(_PAGES)
                self._activity(
                    ActivityKind.WEB_VISIT, at, lead_id, direction=inbound,
                    subject=f"Visited {page}",
                )  # fmt: skip
        for _ in range(min(3, self._poisson(0.15 + 1.2 * p))):
            at = self._later(created, 14)
            if at <= cutoff:
                plan = self._campaign_on(at, self.touch_table)
                touches.append(self._touch(plan, at))
                self._activity(
                    ActivityKind.WEB_VISIT, at, lead_id, direction=inbound,
                    subject="Returned to the website", campaign=None if plan is None else plan.id,
                )  # fmt: skip
        touches.sort(key=lambda touch: touch.occurred_at)
        if not story.mailing:
            return
        stop = cutoff if story.unsubscribed is None else min(cutoff, story.unsubscribed)
        newsletter = self.newsletter
        for kind, rate in ((ActivityKind.EMAIL_OPEN, 0.3 + 6.0 * p),
                           (ActivityKind.EMAIL_CLICK, 0.05 + 3.5 * p)):  # fmt: skip
            for _ in range(self._poisson(rate)):
                at = self._later(created, 15)
                if at <= stop:
                    self._activity(
                        kind, at, lead_id, direction=inbound, subject=newsletter.channel.name,
                        campaign=newsletter.id,
                    )  # fmt: skip
        if story.unsubscribed is not None and story.unsubscribed <= cutoff:
            self._activity(
                ActivityKind.UNSUBSCRIBE, story.unsubscribed, lead_id, direction=inbound,
                subject=newsletter.channel.name, campaign=newsletter.id,
            )  # fmt: skip

    def _sales(self, story: _Story, owner: str) -> None:
        """The rep's calls and e-mails, the lead's replies, meetings and a follow-up task."""
        rng, p = self.rng, story.p
        created, lead_id, converts = story.created, story.lead_id, story.truth.converts
        cutoff = story.cutoff if story.blocked is None else min(story.cutoff, story.blocked)
        out = Direction.OUTBOUND
        at = self._later(created, 0.8)
        last = created
        for _ in range(self._poisson(0.8 + 3.0 * p)):
            if at > cutoff:
                break
            if rng.random() < 0.6:
                connected = rng.random() < 0.2 + 0.5 * p
                outcome = "connected" if connected else rng.choice(("no answer", "voicemail"))
                self._activity(
                    ActivityKind.CALL, at, lead_id, direction=out, subject="Intro call",
                    outcome=outcome, owner=owner,
                )  # fmt: skip
                if connected:
                    for name in rng.sample(BANT.CRITERIA, rng.randint(1, 2)):
                        story.assess(name, at, "call")
            else:
                self._activity(
                    ActivityKind.EMAIL, at, lead_id, direction=out, subject="Following up",
                    owner=owner,
                )  # fmt: skip
            last = at
            at = self._later(at, 3)
        for _ in range(self._poisson(0.1 + 4.0 * p)):
            reply = self._later(created, 6)
            if reply <= cutoff:
                kind = ActivityKind.EMAIL if rng.random() < 0.7 else ActivityKind.CALL
                self._activity(
                    kind, reply, lead_id, direction=Direction.INBOUND,
                    subject="Re: Following up", owner=owner,
                )  # fmt: skip
                last = max(last, reply)
        talk = self._discovery(story, owner, cutoff)
        if talk is not None:
            last = max(last, talk)
        if not converts and rng.random() < 0.35:
            due = last + timedelta(days=rng.randint(2, 5))
            self._activity(
                ActivityKind.TASK, last, lead_id, subject="Follow up", owner=owner, due_at=due,
                completed_at=due if due <= self.end else None,
            )  # fmt: skip

    def _discovery(self, story: _Story, owner: str, cutoff: datetime) -> datetime | None:
        """A discovery meeting, likelier the likelier the lead, where BANT is assessed.

        A lead that converts is qualified in it or, without one, on a call, before its
        conversion.  Returns when the conversation happened, if it did.
        """
        rng, created, converts = self.rng, story.created, story.truth.converts
        out = Direction.OUTBOUND
        meeting: datetime | None = None
        if rng.random() < 0.1 + 1.2 * story.p:
            meeting = self._later(created, 7)
            if converts:
                latest = cutoff - timedelta(seconds=rng.randint(3600, _DAY))
                meeting = max(min(meeting, latest), created)
        if meeting is not None and meeting <= cutoff:
            outcome = "qualified" if converts else rng.choice(_MEETING_OUTCOMES)
            self._activity(
                ActivityKind.MEETING, meeting, story.lead_id, direction=out,
                subject="Discovery meeting", outcome=outcome, owner=owner,
            )  # fmt: skip
            story.assess.complete(meeting, keep_unknown=rng.random() < 0.5)
            return meeting
        if not converts:
            return None
        call = max(cutoff - timedelta(seconds=rng.randint(3600, 3 * _DAY)), created)
        self._activity(
            ActivityKind.CALL, call, story.lead_id, direction=out, subject="Qualification call",
            outcome="connected", owner=owner,
        )  # fmt: skip
        story.assess.complete(call, keep_unknown=rng.random() < 0.5)
        return call

    def _fields(self, who: _Who) -> dict[str, Any]:
        """The lead's fields as given, some of them missing as forms and imports leave them."""
        rng = self.rng
        company = who.company
        fields: dict[str, Any] = {
            "first_name": who.first,
            "last_name": who.last,
            "title": who.title,
            "company": company.brand if rng.random() < 0.4 else company.legal,
            "website": self._website(company.domain),
            "industry": company.industry.name,
            "company_size": company.size,
            "country": company.country.name,
        }
        if rng.random() < 0.10:
            for gap in rng.sample(_GAPS, rng.randint(1, 2)):
                fields[gap] = None
                if gap == "company":
                    fields["website"] = None
        elif rng.random() < 0.1:
            fields["website"] = None
        return fields

    def _website(self, domain: str) -> str:
        form = self.rng.randrange(4)
        return (f"https://www.{domain}", f"www.{domain}", domain, f"http://{domain}/")[form]

    def _duplicate(self, i: int, created: datetime, original: _Person) -> tuple[Lead, LeadTruth]:
        """The same person again, later: a new touch, the address perhaps in another case."""
        rng = self.rng
        first = original.lead
        local, _, domain = original.email.rpartition("@")
        variants = [v for v in (local.lower(), local.upper(), local.title()) if v != local]
        if variants and rng.random() < 0.6:
            local = rng.choice(variants)
        plan = self._campaign_on(created, self.arrival_table)
        touch = self._touch(plan, created)
        lead_id = self._id(LeadId, created)
        self._activity(
            ActivityKind.FORM_SUBMISSION, created, lead_id, direction=Direction.INBOUND,
            subject="Contact form", campaign=None if plan is None else plan.id,
        )  # fmt: skip
        consent = Consent()
        if rng.random() < 0.6:
            consent = consent.record("email", given=True, at=created, source="web form")
        lead = Lead(
            id=lead_id,
            created_at=created,
            first_name=first.first_name,
            last_name=first.last_name,
            title=first.title if rng.random() < 0.8 else None,
            email=f"{local}@{domain}",
            phone=first.phone,
            company=first.company,
            website=first.website,
            industry=first.industry,
            company_size=first.company_size,
            country=first.country,
            product_interests=first.product_interests,
            first_touch=touch,
            touches=(touch,),
            owner=first.owner,
            consent=consent,
            external_id=f"{_EXTERNAL}{i + 1:06d}",
        )
        truth = attrs.evolve(
            original.truth, converts=False, wins=False, converts_at=None, duplicate_of=first.id
        )
        return lead, truth


_FORMS = (
    ("Whitepaper download", 4.0),
    ("Contact form", 2.0),
    ("Newsletter sign-up", 2.0),
    ("Pricing enquiry", 1.0),
    ("Free trial sign-up", 1.0),
)
_MEETING_OUTCOMES = ("no budget", "not a fit now", "follow up next quarter")
_GAPS = ("company", "title", "country", "industry", "company_size", "first_name")


@attrs.frozen
class _Who:
    """Who a new lead is, as drawn."""

    first: str
    last: str
    title: str
    level: str
    seniority: float
    company: _Company
    free_mail: bool
    email: str | None
    phone: str | None
    plan: _Plan | None


@attrs.define
class _Story:
    """What is being decided about one new lead while its activities are drawn."""

    lead_id: LeadId
    created: datetime
    #: The rep works the lead until this: its conversion, or the end of the data.
    cutoff: datetime
    p: float
    truth: LeadTruth
    owner: str | None
    assess: _Assessor
    mailing: bool = False
    unsubscribed: datetime | None = None
    blocked: datetime | None = None


class _Assessor:
    """Records BANT assessments whose values follow the lead's propensity."""

    def __init__(self, rng: random.Random, p: float, level: str, amount: float, currency: str):
        self.rng = rng
        self.bant: dict[str, Assessment[Any]] = {}
        self.p = p
        self.level = level
        self.amount = amount
        self.currency = currency

    def __call__(self, name: str, at: datetime, evidence: str) -> None:
        if name in self.bant:
            return
        rng, p = self.rng, self.p
        value: Any
        if name == "budget":
            budget = self.amount * rng.uniform(0.3, 0.9) * (0.6 + p)
            value = Money(
                amount=Decimal(max(500, round(budget / 500) * 500)), currency=self.currency
            )
        elif name == "authority":
            value = self._authority()
        elif name == "need":
            u = p + rng.gauss(0, 0.15)
            value = Need.HIGH if u > 0.45 else Need.MEDIUM if u > 0.25 else Need.LOW
            if u < 0.1:
                value = Need.NONE
        else:
            days = rng.randint(20, 90) if rng.random() < 0.3 + p else rng.randint(60, 365)
            value = at.date() + timedelta(days=days)
        self.bant[name] = Assessment(value=value, assessed_at=at, evidence=evidence)

    def _authority(self) -> Authority:
        draw = self.rng.random()
        if self.level in ("c_level", "vp"):
            return Authority.DECISION_MAKER if draw < 0.9 else Authority.INFLUENCER
        if self.level == "director":
            return Authority.DECISION_MAKER if draw < 0.5 else Authority.INFLUENCER
        if self.level == "manager":
            return Authority.INFLUENCER if draw < 0.7 else Authority.USER
        if self.level == "individual":
            return Authority.USER if draw < 0.8 else Authority.INFLUENCER
        return Authority.NONE if draw < 0.6 else Authority.USER

    def complete(self, at: datetime, *, keep_unknown: bool) -> None:
        """Assess what is still unknown, leaving at most one criterion open."""
        unknown = [name for name in BANT.CRITERIA if name not in self.bant]
        if keep_unknown and unknown:
            unknown.pop(self.rng.randrange(len(unknown)))
        for name in unknown:
            self(name, at, "meeting")
