"""The report's sections, built from plain lists of entities (no store, no clock).

* ``funnel``: how many leads reached each marketing stage, with the conversion from the
  stage before and from the first;
* ``by_source`` and ``by_campaign``: leads, converted, conversion, deals won and won
  revenue per first-touch source (case-folded) and per campaign, with its cost;
* ``scores``: the leads per score grade, with how many of them converted;
* ``pipeline_by_stage`` and ``pipeline_by_category``: the weighted pipeline;
* ``forecast``: one period's forecast.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from leadflow.campaigns import Campaign
from leadflow.cli._output import Section
from leadflow.forecasting import PeriodForecast, weighted_pipeline
from leadflow.leads import Lead
from leadflow.lifecycle import MARKETING_STAGES, RuleTable
from leadflow.opportunities import Opportunity
from leadflow.pipelines import DEFAULT_PIPELINE, Outcome, Pipeline
from leadflow.values import LeadId

_NONE = "(none)"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def funnel(leads: Sequence[Lead], *, stages: RuleTable = MARKETING_STAGES) -> Section:
    """How many leads reached each marketing stage (a lead at a stage passed those before)."""
    order = [state.name for state in stages.states]
    position = {name: i for i, name in enumerate(order)}
    reached = [0] * len(order)
    for lead in leads:
        for i in range(position.get(lead.marketing_stage, 0) + 1):
            reached[i] += 1
    rows = []
    for i, name in enumerate(order):
        before = reached[i - 1] if i else reached[0]
        rows.append((name, reached[i], _rate(reached[i], before), _rate(reached[i], reached[0])))
    statuses = Counter(lead.status for lead in leads)
    note = "lead statuses: " + ", ".join(f"{s} {n:,}" for s, n in sorted(statuses.items()))
    return Section(
        name="funnel",
        title="Funnel: leads reaching each marketing stage",
        columns=("stage", "leads", "from_previous", "from_first"),
        rows=rows,
        note=note,
        percent=("from_previous", "from_first"),
    )


def _won_by_lead(
    opportunities: Iterable[Opportunity], pipeline: Pipeline
) -> dict[LeadId, tuple[int, Decimal]]:
    won: dict[LeadId, tuple[int, Decimal]] = {}
    for deal in opportunities:
        if deal.source_lead_id is None or deal.pipeline != pipeline.name:
            continue
        if pipeline.stage(deal.stage).outcome is not Outcome.WON:
            continue
        count, amount = won.get(deal.source_lead_id, (0, Decimal(0)))
        value = Decimal(0) if deal.amount is None else deal.amount.amount
        won[deal.source_lead_id] = (count + 1, amount + value)
    return won


@attrs.define
class _Group:
    leads: int = 0
    converted: int = 0
    deals_won: int = 0
    won_revenue: Decimal = Decimal(0)

    def row(self, name: str) -> tuple[object, ...]:
        return (
            name,
            self.leads,
            self.converted,
            _rate(self.converted, self.leads),
            self.deals_won,
            self.won_revenue,
        )


def _groups(
    leads: Sequence[Lead], key: dict[LeadId, str], won: dict[LeadId, tuple[int, Decimal]]
) -> list[tuple[str, _Group]]:
    """The leads' tallies per group name, largest group first."""
    groups: dict[str, _Group] = {}
    for lead in leads:
        group = groups.setdefault(key.get(lead.id, _NONE), _Group())
        group.leads += 1
        group.converted += lead.status == "converted"
        deals, revenue = won.get(lead.id, (0, Decimal(0)))
        group.deals_won += deals
        group.won_revenue += revenue
    return sorted(groups.items(), key=lambda item: (-item[1].leads, item[0]))


def by_source(
    leads: Sequence[Lead],
    opportunities: Sequence[Opportunity],
    *,
    pipeline: Pipeline = DEFAULT_PIPELINE,
) -> Section:
    """Leads, conversions and won deals per first-touch source (case-folded)."""
    key = {
        lead.id: lead.first_touch.source.strip().casefold()
        for lead in leads
        if lead.first_touch is not None and lead.first_touch.source
    }
    groups = _groups(leads, key, _won_by_lead(opportunities, pipeline))
    rows = [group.row(name) for name, group in groups]
    return Section(
        name="by_source",
        title="By source (first touch)",
        columns=("source", "leads", "converted", "conversion", "deals_won", "won_revenue"),
        rows=rows,
        percent=("conversion",),
    )


def by_campaign(
    leads: Sequence[Lead],
    opportunities: Sequence[Opportunity],
    campaigns: Sequence[Campaign],
    *,
    pipeline: Pipeline = DEFAULT_PIPELINE,
) -> Section:
    """Leads, conversions, won deals and cost per first-touch campaign."""
    names = {campaign.id: campaign.name for campaign in campaigns}
    codes = {campaign.code: campaign.name for campaign in campaigns if campaign.code}
    key: dict[LeadId, str] = {}
    for lead in leads:
        touch = lead.first_touch
        if touch is None:
            continue
        if touch.campaign_id is not None and touch.campaign_id in names:
            key[lead.id] = names[touch.campaign_id]
        elif touch.campaign is not None and touch.campaign in codes:
            key[lead.id] = codes[touch.campaign]
    groups = _groups(leads, key, _won_by_lead(opportunities, pipeline))
    cost = {c.name: (None if c.actual_cost is None else c.actual_cost.amount) for c in campaigns}
    rows = [(*group.row(name), cost.get(name)) for name, group in groups]
    return Section(
        name="by_campaign",
        title="By campaign (first touch)",
        columns=(
            "campaign",
            "leads",
            "converted",
            "conversion",
            "deals_won",
            "won_revenue",
            "cost",
        ),
        rows=rows,
        percent=("conversion",),
    )


def scores(leads: Sequence[Lead]) -> Section:
    """The scored leads per grade, with how many converted."""
    counts: dict[str, list[int]] = {}
    for lead in leads:
        if lead.score is None:
            continue
        grade = lead.score.grade or _NONE
        group = counts.setdefault(grade, [0, 0])
        group[0] += 1
        group[1] += lead.status == "converted"
    rows = [
        (grade, n, converted, _rate(converted, n))
        for grade, (n, converted) in sorted(counts.items())
    ]
    unscored = sum(lead.score is None for lead in leads)
    return Section(
        name="scores",
        title="Scores by grade",
        columns=("grade", "leads", "converted", "conversion"),
        rows=rows,
        percent=("conversion",),
        note=f"{unscored:,} leads not scored" if unscored else None,
    )


def pipeline_sections(
    opportunities: Sequence[Opportunity], pipelines: Pipeline | Sequence[Pipeline]
) -> list[Section]:
    """The weighted pipeline by stage (every deal) and by forecast category."""
    sections = []
    for key, title in (
        ("stage", "Pipeline by stage"),
        ("forecast_category", "Pipeline by forecast category"),
    ):
        table = weighted_pipeline(opportunities, pipelines, by=key, include="all")
        rows = [
            (
                row.key[0],
                row.deals,
                None if row.amount is None else row.amount.amount,
                None if row.weighted is None else row.weighted.amount,
            )
            for row in table.rows
        ]
        sections.append(
            Section(
                name=f"pipeline_by_{key}",
                title=f"{title} ({table.currency or 'no amounts'})",
                columns=(key, "deals", "amount", "weighted"),
                rows=rows,
            )
        )
    return sections


def forecast_section(result: PeriodForecast) -> Section:
    """One period's forecast as figure/value rows."""
    spread = result.range
    rows: list[tuple[str, object]] = [
        ("period", str(result.period)),
        ("as_of", result.at.isoformat()),
        ("currency", result.currency),
        ("won", result.won),
        ("won_deals", result.won_deals),
        ("open_deals", result.open_deals),
        ("overdue", result.overdue),
        ("open_amount", result.open_amount),
        ("expected", result.weighted),
        ("p10", Decimal(repr(round(spread.p10, 2)))),
        ("p50", Decimal(repr(round(spread.p50, 2)))),
        ("p90", Decimal(repr(round(spread.p90, 2)))),
        ("method", str(spread.method)),
        ("commit_forecast", _amount(result.categories.commit_forecast)),
        ("best_case_forecast", _amount(result.categories.best_case_forecast)),
    ]
    if result.quota is not None:
        rows += [("quota", result.quota), ("probability_of_quota", result.probability_of_quota)]
    return Section(
        name="forecast",
        title=f"Forecast for {result.period}",
        columns=("figure", "value"),
        rows=rows,
    )


def _amount(money: object) -> Decimal | None:
    return getattr(money, "amount", None)
