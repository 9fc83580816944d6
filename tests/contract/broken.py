"""Deliberately broken stores: the conformance kit must catch every one of them.

Each is the memory store with one classic adapter bug put in.
"""

from __future__ import annotations

from typing import Any

import attrs

from leadflow.adapters.memory import MemoryRepository, MemoryStore, MemoryUnitOfWork
from leadflow.ports import Page, Query


class _BrokenUnitOfWork(MemoryUnitOfWork):
    repository_class: type[MemoryRepository] = MemoryRepository


def _store(uow_class: type[MemoryUnitOfWork], apply: Any = None) -> type[MemoryStore]:
    class Store(MemoryStore):
        def unit_of_work(self, *, actor: str | None = None) -> MemoryUnitOfWork:
            return uow_class(self, actor)

    if apply is not None:
        Store._apply = apply  # type: ignore[method-assign]
    return Store


# ------------------------------------------------------------------ lost update


class _LastWriterWins(MemoryRepository):
    """Writes whatever it is given, whatever version is stored: a lost update."""

    def _check_current(self, entity: Any) -> Any:
        current = self._current(entity.id.value)
        if current is None:
            return super()._check_current(entity)
        return current

    def update(self, entity: Any) -> Any:
        current = self._check_current(entity)
        return super().update(attrs.evolve(entity, version=current.version))


class _LostUpdateUnitOfWork(_BrokenUnitOfWork):
    repository_class = _LastWriterWins


def _apply_without_checks(
    self: MemoryStore, changes: Any, expected: Any, events: Any, actor: Any
) -> None:
    MemoryStore._apply(self, changes, {}, events, actor)


LostUpdateStore = _store(_LostUpdateUnitOfWork, _apply_without_checks)


# ---------------------------------------------------------------- partial commit


def _apply_in_full_batches(
    self: MemoryStore, changes: Any, expected: Any, events: Any, actor: Any
) -> None:
    """Writes changes in batches of 100 and forgets the last, incomplete batch."""
    kept = {
        kind: dict(list(table.items())[: len(table) // 100 * 100])
        for kind, table in changes.items()
    }
    MemoryStore._apply(self, kept, expected, events, actor)


PartialCommitStore = _store(MemoryUnitOfWork, _apply_in_full_batches)


# --------------------------------------------------------------- missing rollback


class _NoRollbackUnitOfWork(MemoryUnitOfWork):
    """Forgets to roll back: leaving the block, or rollback(), keeps the changes."""

    def rollback(self) -> None:
        self.commit()


NoRollbackStore = _store(_NoRollbackUnitOfWork)


# ------------------------------------------------------------------- pagination


class _SkippingPages(MemoryRepository):
    """Loses the first entity of every page after the first."""

    def find(self, query: Query[Any]) -> Page[Any]:
        page = super().find(query)
        if query.cursor is not None and page.items:
            return Page(items=page.items[1:], next_cursor=page.next_cursor)
        return page


class _RepeatingPages(MemoryRepository):
    """Starts every page after the first with the last entity of the page before."""

    def find(self, query: Query[Any]) -> Page[Any]:
        page = super().find(query)
        if query.cursor is not None:
            previous = super().find(attrs.evolve(query, cursor=None, page_size=10_000))
            before = [
                e
                for e in previous.items
                if query.sort_key(e) not in {query.sort_key(i) for i in page.items}
            ]
            mark = [
                e
                for e in before
                if not page.items
                or (query.sort_key(e) < query.sort_key(page.items[0])) != query.descending
            ]
            if mark:
                return Page(items=(mark[-1], *page.items), next_cursor=page.next_cursor)
        return page


class _SkippingUnitOfWork(_BrokenUnitOfWork):
    repository_class = _SkippingPages


class _RepeatingUnitOfWork(_BrokenUnitOfWork):
    repository_class = _RepeatingPages


SkippingPagesStore = _store(_SkippingUnitOfWork)
RepeatingPagesStore = _store(_RepeatingUnitOfWork)
