"""Finding models by name: leadflow's own and those plugged in through entry points (private).

The public names are re-exported by :mod:`leadflow.scoring`.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from leadflow._config import Reader, load_file, nested
from leadflow.errors import InvalidConfiguration
from leadflow.scoring.bant import BantModel
from leadflow.scoring.composite import GradeMatrix, WeightedSum
from leadflow.scoring.engagement import EngagementModel
from leadflow.scoring.fit import FitModel
from leadflow.scoring.predictive import LogisticRegression, NaiveBayes

__all__ = ["ENTRY_POINT_GROUP", "MODEL_TYPES", "find_model", "load_model", "model_from_dict"]

#: The entry-point group third-party scoring models register in.
ENTRY_POINT_GROUP = "leadflow.scoring_models"

#: leadflow's own model types, by the ``type`` their data carries.
MODEL_TYPES: Mapping[str, type[Any]] = {
    "bant": BantModel,
    "engagement": EngagementModel,
    "fit": FitModel,
    "grade_matrix": GradeMatrix,
    "weighted_sum": WeightedSum,
    "naive_bayes": NaiveBayes,
    "logistic_regression": LogisticRegression,
}


def _plugged_in() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def find_model(name: str) -> Any:
    """The model type (or factory) registered as ``name``.

    leadflow's own types come first (:data:`MODEL_TYPES`), then the entry points
    of the group ``leadflow.scoring_models``: a package registers a model with

    .. code-block:: toml

        [project.entry-points."leadflow.scoring_models"]
        acme_propensity = "acme.scoring:PropensityModel"

    An unknown name raises :class:`~leadflow.errors.InvalidConfiguration` listing
    the names there are.
    """
    if name in MODEL_TYPES:
        return MODEL_TYPES[name]
    plugged = _plugged_in()
    if name in plugged:
        return plugged[name].load()
    known = sorted({*MODEL_TYPES, *plugged})
    raise InvalidConfiguration(
        key="type", reason="no scoring model of this name; known: " + ", ".join(known), value=name
    )


def model_from_dict(data: Mapping[str, Any], *, key: str = "$") -> Any:
    """Build a model from plain data by its ``type`` (see :func:`find_model`).

    The type found must have a ``from_dict`` class method.  ``key`` prefixes the
    key paths in errors (for models nested in a composite).
    """
    reader = Reader(data, key)
    name = reader.text("type")
    try:
        kind = find_model(name)
        if not hasattr(kind, "from_dict"):
            raise InvalidConfiguration(
                key="type", reason="this model cannot be read from data (no from_dict)", value=name
            )
        return kind.from_dict(data)
    except InvalidConfiguration as error:
        if key == "$":
            raise
        raise nested(error, key) from None


def load_model(path: str | Path) -> Any:
    """Read a model from a ``.toml`` or ``.json`` file by its ``type``."""
    return model_from_dict(load_file(path))
