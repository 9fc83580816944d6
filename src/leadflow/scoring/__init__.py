"""Scoring leads: the protocol, rule models, predictive models and their evaluation.

Every model satisfies :class:`ScoringModel`: ``score(lead, activities, *, at)``
returns a :class:`Score` whose contributions (one per rule or feature, with the
reason in words) sum exactly to its value, and ``score_many`` scores a batch.

* Rule models, loadable from TOML or JSON: :class:`BantModel`,
  :class:`EngagementModel` (points per activity with decay and caps),
  :class:`FitModel` (rules on who the lead is), and the composites
  :class:`GradeMatrix` (fit x engagement, ``A1`` .. ``D4``) and
  :class:`WeightedSum`; :class:`StageThresholds` maps a score to MQL or SQL.
* Predictive models fitted from history: :class:`NaiveBayes` and
  :class:`LogisticRegression` (:mod:`leadflow.scoring.predictive`).
* Evaluation: :mod:`leadflow.scoring.evaluate` (AUC, log loss, Brier, lift,
  calibration, thresholds, backtest splits).
* Finding models by name, including third-party ones registered under the
  entry-point group ``leadflow.scoring_models``: :func:`find_model`,
  :func:`model_from_dict`, :func:`load_model`.
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
from leadflow.scoring._registry import (
    ENTRY_POINT_GROUP,
    MODEL_TYPES,
    find_model,
    load_model,
    model_from_dict,
)
from leadflow.scoring._rules import Cap, Condition, dump_toml
from leadflow.scoring.bant import (
    AmountRange,
    BantModel,
    Criterion,
    DaysRange,
    Qualification,
    QualifyRule,
)
from leadflow.scoring.composite import GradeMatrix, StageThresholds, WeightedSum
from leadflow.scoring.engagement import (
    ActivityRule,
    Decay,
    DecayStep,
    EngagementModel,
    FrequencyBand,
)
from leadflow.scoring.fit import FitModel, FitRule
from leadflow.scoring.predictive import Feature, LogisticRegression, NaiveBayes

__all__ = [
    "ENTRY_POINT_GROUP",
    "LEAD_FIELDS",
    "MODEL_TYPES",
    "ActivityRule",
    "AmountRange",
    "Band",
    "Bands",
    "BantModel",
    "Cap",
    "Condition",
    "Contribution",
    "Criterion",
    "DaysRange",
    "Decay",
    "DecayStep",
    "EngagementModel",
    "Example",
    "Feature",
    "FitModel",
    "FitRule",
    "FrequencyBand",
    "GradeMatrix",
    "LogisticRegression",
    "NaiveBayes",
    "Qualification",
    "QualifyRule",
    "Score",
    "Scores",
    "ScoringModel",
    "StageThresholds",
    "WeightedSum",
    "dump_toml",
    "find_model",
    "group_activities",
    "load_model",
    "model_from_dict",
    "score_each",
]
