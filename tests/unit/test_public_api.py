"""The public surface: pinned, documented, importable."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version

import pytest

import leadflow

PUBLIC_MODULES = [
    "leadflow",
    "leadflow.errors",
    "leadflow.values",
    "leadflow.leads",
    "leadflow.accounts",
    "leadflow.contacts",
    "leadflow.opportunities",
    "leadflow.campaigns",
    "leadflow.activities",
    "leadflow.products",
    "leadflow.serialization",
    "leadflow.events",
    "leadflow.ports",
    "leadflow.adapters",
    "leadflow.adapters.memory",
    "leadflow.adapters.sqlite",
    "leadflow.testing.strategies",
    "leadflow.testing.contracts",
    "leadflow.scoring",
    "leadflow.scoring.evaluate",
    "leadflow.scoring.predictive",
    "leadflow.forecasting",
    "leadflow.forecasting.periods",
    "leadflow.forecasting.weighted",
    "leadflow.forecasting.categories",
    "leadflow.forecasting.simulation",
    "leadflow.forecasting.history",
    "leadflow.forecasting.velocity",
    "leadflow.forecasting.asof",
    "leadflow.forecasting.forecast",
    "leadflow.services",
    "leadflow.cli",
    "leadflow.datasets",
    "leadflow.datasets.synthetic",
    "leadflow.datasets.workflow",
]

# Changing this list is a change of the public API: update the changelog with it.
FACADE = [
    "BANT",
    "Account",
    "AccountId",
    "Activity",
    "ActivityId",
    "ActivityKind",
    "Assessment",
    "Authority",
    "Campaign",
    "CampaignId",
    "CampaignStatus",
    "ConcurrencyConflict",
    "Consent",
    "ConsentRecord",
    "Contact",
    "ContactId",
    "ContactRole",
    "CurrencyMismatch",
    "Direction",
    "DuplicateEntity",
    "EmailAddress",
    "EntityId",
    "ExchangeRates",
    "ForecastCategory",
    "InvalidConfiguration",
    "InvalidTransition",
    "Lead",
    "LeadId",
    "LeadScore",
    "LeadflowError",
    "LineItem",
    "ModelNotFitted",
    "Money",
    "Need",
    "NotFound",
    "Opportunity",
    "OpportunityId",
    "PhoneNumber",
    "Pipeline",
    "PostalAddress",
    "Probability",
    "Problem",
    "Product",
    "ProductId",
    "Query",
    "RuleTable",
    "StageVisit",
    "StorageError",
    "Touchpoint",
    "ValidationError",
    "__version__",
    "company_key",
    "connect",
    "from_dict",
    "from_json",
    "to_dict",
    "to_json",
    "website_domain",
]


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then the rest: the order ruff's RUF022 keeps."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_the_facade_is_pinned_and_sorted() -> None:
    assert leadflow.__all__ == FACADE
    assert leadflow.__all__ == sorted(leadflow.__all__, key=isort_style)


def test_the_version_comes_from_the_package_metadata() -> None:
    assert leadflow.__version__ == version("leadflow")


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_name_exists_and_has_a_docstring(name: str) -> None:
    module = importlib.import_module(name)
    assert inspect.getdoc(module), f"{name} has a module docstring"
    for public in module.__all__:
        obj = getattr(module, public)
        if public == "__version__" or not (inspect.isclass(obj) or callable(obj)):
            continue
        assert inspect.getdoc(obj), f"{name}.{public} has a docstring"
        if inspect.isclass(obj):
            for member_name, member in vars(obj).items():
                # The kit's tests are documented by the numbered rules their names cite.
                if member_name.startswith(("_", "test_")) or not callable(member):
                    continue
                assert inspect.getdoc(getattr(obj, member_name)), f"{public}.{member_name}"
