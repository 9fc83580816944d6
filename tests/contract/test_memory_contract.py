"""The conformance kit against the memory adapter, the reference implementation."""

from __future__ import annotations

import pytest

from leadflow.adapters.memory import MemoryStore
from leadflow.ports import Store
from leadflow.testing.contracts import OpenStore, StoreContracts


class TestMemoryStore(StoreContracts):
    @pytest.fixture
    def open_store(self) -> OpenStore:
        stores: dict[str, Store] = {}

        def open_store(name: str = "default") -> Store:
            return stores.setdefault(name, MemoryStore())

        return open_store
