"""The conformance kit against the SQLite adapter, on real database files."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.adapters.sqlite import SqliteStore
from leadflow.ports import Store
from leadflow.testing.contracts import OpenStore, StoreContracts


class TestSqliteStore(StoreContracts):
    @pytest.fixture
    def open_store(self, tmp_path: Path) -> OpenStore:
        def open_store(name: str = "default") -> Store:
            return SqliteStore(tmp_path / f"{name}.db")

        return open_store
