"""leadflow: a storage-agnostic, typed domain library for lead management.

The names most programs need are available here; each lives in its own module
(:mod:`leadflow.values`, :mod:`leadflow.leads`, :mod:`leadflow.errors`, ...).
"""

from importlib.metadata import PackageNotFoundError, version

from leadflow.accounts import Account
from leadflow.activities import Activity, ActivityKind, Direction
from leadflow.adapters import connect
from leadflow.campaigns import Campaign, CampaignStatus
from leadflow.contacts import Contact
from leadflow.errors import (
    ConcurrencyConflict,
    CurrencyMismatch,
    DuplicateEntity,
    InvalidConfiguration,
    InvalidTransition,
    LeadflowError,
    ModelNotFitted,
    NotFound,
    Problem,
    StorageError,
    ValidationError,
)
from leadflow.leads import Lead, LeadScore
from leadflow.lifecycle import RuleTable
from leadflow.opportunities import ContactRole, ForecastCategory, LineItem, Opportunity, StageVisit
from leadflow.pipelines import Pipeline
from leadflow.ports import Query
from leadflow.products import Product
from leadflow.serialization import from_dict, from_json, to_dict, to_json
from leadflow.values import (
    BANT,
    AccountId,
    ActivityId,
    Assessment,
    Authority,
    CampaignId,
    Consent,
    ConsentRecord,
    ContactId,
    EmailAddress,
    EntityId,
    ExchangeRates,
    LeadId,
    Money,
    Need,
    OpportunityId,
    PhoneNumber,
    PostalAddress,
    Probability,
    ProductId,
    Touchpoint,
    company_key,
    website_domain,
)

try:
    __version__ = version("leadflow")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
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
