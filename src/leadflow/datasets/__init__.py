"""Data sets to try leadflow on: a deterministic synthetic B2B organisation.

:func:`~leadflow.datasets.synthetic.synthetic` builds a
:class:`~leadflow.datasets.synthetic.SyntheticOrganisation`: campaigns, accounts with
their contacts, the leads that arrived over a window of days with their touches,
BANT fragments and consent, every activity, and a hidden
:class:`~leadflow.datasets.synthetic.LeadTruth` per lead (which leads convert, which
deals are won, what they are worth and how long they take to close) to measure
scoring and forecasting against.  :data:`~leadflow.datasets.synthetic.LEADS_MAPPING`
reads the leads back from the table
:meth:`~leadflow.datasets.synthetic.SyntheticOrganisation.leads_table` writes.

The four names are defined in the module ``leadflow.datasets.synthetic`` and imported
here; import them from ``leadflow.datasets``.  (The package's attribute ``synthetic``
is the function, which hides the module of the same name from attribute access.)
"""

from __future__ import annotations

from leadflow.datasets.synthetic import (
    LEADS_MAPPING,
    LeadTruth,
    SyntheticOrganisation,
    synthetic,
)

__all__ = ["LEADS_MAPPING", "LeadTruth", "SyntheticOrganisation", "synthetic"]
