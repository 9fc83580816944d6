"""Leadflow's conformance kit against the example adapter.

Run it with ``python -m pytest examples/test_document_store.py``.
"""

import pytest
from document_store import DocumentStore

from leadflow.testing.contracts import StoreContracts


class TestDocumentStore(StoreContracts):
    @pytest.fixture
    def open_store(self):
        stores = {}

        def open_store(name="default"):
            return stores.setdefault(name, DocumentStore())

        return open_store
