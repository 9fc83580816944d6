"""Quick start: leads worked, qualified and converted on SQLite, and a deal closed.

Run it with ``python examples/quickstart.py``.  Everything here is plain data: leadflow
checks each value as it is built, turns every entity into a JSON document and back
without losing anything, and stores them in SQLite (a temporary file; pass
``sqlite:///crm.db`` to :func:`leadflow.connect` to keep one).  The lifecycle rules say
which moves are allowed, and the event log keeps every one of them.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import leadflow
from leadflow import (
    BANT,
    Account,
    Assessment,
    Authority,
    Consent,
    ContactId,
    ContactRole,
    InvalidTransition,
    Lead,
    Money,
    Need,
    Opportunity,
    Probability,
    Touchpoint,
    ValidationError,
    from_json,
    to_json,
)
from leadflow.events import StateChanged
from leadflow.services import (
    close_opportunity,
    convert_lead,
    move_opportunity,
    qualify_lead,
    transition_lead,
)

# leadflow never reads the clock itself: you say when things happen.
now = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)

# 1. Leads arrive as fragments, each with the touch that brought it in.
ad_click = Touchpoint.from_url(
    "https://leadflow.example/pricing?utm_source=google&utm_medium=cpc"
    "&utm_campaign=spring-2026&utm_content=ad-17",
    occurred_at=now - timedelta(days=2),
    referrer="https://www.google.com/",
)
ada = Lead(
    created_at=now,
    first_name="Ada",
    last_name="Lovelace",
    title="Head of Operations",
    email="ada@Analytical-Engines.example",
    company="Analytical Engines",
    website="https://www.analytical-engines.example",
    country="United Kingdom",
    product_interests={"crm", "forecasting"},
    first_touch=ad_click,
    touches=[ad_click],
    consent=Consent().record("email", given=True, at=now - timedelta(days=2), source="web form"),
    bant=BANT(
        budget=Assessment(value=Money.of(40_000, "EUR"), assessed_at=now, evidence="call with CFO"),
        authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=now),
        need=Assessment(value=Need.HIGH, assessed_at=now),
        timeline=Assessment(value=date(2026, 6, 30), assessed_at=now),
    ),
    owner="sam",
)
grace = Lead(
    created_at=now,
    email="grace@navy.example",
    company="Navy Labs",
    touches=[Touchpoint(occurred_at=now, source="newsletter", medium="email")],
)
anonymous = Lead(created_at=now, touches=[Touchpoint(occurred_at=now, source="linkedin")])

# 2. Bad input is refused with the field, the value and the reason.
try:
    Lead(created_at=now, email="not an address")
except ValidationError as error:
    print("refused:", error)

# 3. The organisation behind the first lead, and a deal with it.
account = Account(
    created_at=now,
    name="Analytical Engines Ltd",
    website_domain="https://www.analytical-engines.example",
    industry="manufacturing",
    size=120,
)
deal = Opportunity(
    created_at=now,
    name="Analytical Engines: forecasting rollout",
    account_id=account.id,
    contact_roles=[ContactRole(contact_id=ContactId.new(), role="decision maker")],
    stage="needs_analysis",
    amount=Money.of("38500.00", "EUR"),
    probability=Probability(value=0.3),
    expected_close_date=date(2026, 6, 30),
    source_lead_id=ada.id,
)
assert deal.amount is not None
assert deal.probability is not None
print(f"weighted amount of {deal.name!r}: {(deal.amount * deal.probability).rounded()}")

# 4. Store the leads in SQLite, the embedded default, and work them through the lifecycle.
store = leadflow.connect("sqlite://")
with store.unit_of_work(actor="sam") as uow:
    uow.leads.add_many([ada, grace, anonymous])
    uow.commit()

later = now + timedelta(days=1)
with store.unit_of_work(actor="sam") as uow:
    transition_lead(uow, ada.id, "work", at=later, actor="sam")
    qualify_lead(uow, ada.id, at=later, actor="sam")
    try:  # Grace has no owner, no consent to e-mail and no BANT yet.
        qualify_lead(uow, grace.id, at=later, actor="sam")
    except InvalidTransition as error:
        print("not qualified:", error.reason)

# 5. Convert Ada: an account, a contact and an opportunity in one unit of work.
with store.unit_of_work(actor="sam") as uow:
    result = convert_lead(uow, ada.id, at=later, actor="sam")
print(f"converted: created {', '.join(result.created)}; matched {result.matched or 'nothing'}")
assert result.opportunity is not None
print(f"playbook: {[a.subject for a in result.playbook_activities]}")

# 6. Move the deal through the pipeline and close it.
with store.unit_of_work(actor="sam") as uow:
    deal_id = result.opportunity.id
    for stage in ("qualification", "needs_analysis", "proposal", "negotiation"):
        move_opportunity(uow, deal_id, stage, at=later, actor="sam")
    won = close_opportunity(uow, deal_id, won=True, at=later + timedelta(days=30), actor="sam")
stages = [visit.stage for visit in won.opportunity.stage_history]
print(f"deal {won.opportunity.stage}: {won.opportunity.amount}; stages {' > '.join(stages)}")

# 7. The event log kept every move, in order.
with store.unit_of_work() as uow:
    for recorded in uow.events.read(entity="lead", entity_id=ada.id.value):
        event = recorded.event
        if isinstance(event, StateChanged):
            print(f"  {event.field}: {event.from_state} -> {event.to_state} ({event.action})")
store.close()

# 8. Every entity becomes a JSON document and comes back equal.
for entity in (ada, grace, anonymous, account, deal):
    text = to_json(entity)
    assert from_json(type(entity), text) == entity
    print(f"--- {type(entity).__name__} {entity.id}")
    print(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
