"""Scoring leads: the protocol, rule models, predictive models and their evaluation.

Every model satisfies :class:`ScoringModel`: ``score(lead, activities, *, at)``
returns a :class:`Score` whose contributions (one per rule or feature, with the
reason in words) sum exactly to its value, and ``score_many`` scores a batch.
"""

from leadflow.scoring._base import (
    Band,
    Bands,
    Contribution,
    Example,
    Score,
    Scores,
    ScoringModel,
    group_activities,
    score_each,
)
from leadflow.scoring._features import LEAD_FIELDS

__all__ = [
    "LEAD_FIELDS",
    "Band",
    "Bands",
    "Contribution",
    "Example",
    "Score",
    "Scores",
    "ScoringModel",
    "group_activities",
    "score_each",
]
