"""Storage adapters, opened by URL with :func:`leadflow.connect`.

=========================  ==========================================================
URL                        Store
=========================  ==========================================================
``memory://``              :class:`~leadflow.adapters.memory.MemoryStore`: in memory,
                           the reference implementation
``sqlite:///path/to.db``   :class:`~leadflow.adapters.sqlite.SqliteStore`: a SQLite
                           file (relative path; ``sqlite:////abs/path.db`` for an
                           absolute one), the embedded default
``sqlite://``              a private SQLite database that is removed when the store
                           closes
``postgresql://...``       :class:`~leadflow.adapters.postgres.PostgresStore`: a
                           PostgreSQL server (needs the ``postgres`` extra);
                           ``postgres://...`` works too
=========================  ==========================================================
"""

from __future__ import annotations

from urllib.parse import urlsplit

from leadflow.errors import ValidationError
from leadflow.ports import Store

__all__ = ["connect"]


def connect(url: str) -> Store:
    """Open the store that ``url`` names (see the table above)."""
    scheme = urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme == "memory":
        from leadflow.adapters.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        from leadflow.adapters.sqlite import SqliteStore

        return SqliteStore.from_url(url)
    if scheme in ("postgresql", "postgres"):
        try:
            from leadflow.adapters.postgres import PostgresStore
        except ImportError as error:
            if not (error.name or "").startswith("psycopg"):
                raise
            raise ImportError(
                "the PostgreSQL adapter needs the psycopg driver: pip install 'leadflow[postgres]'",
                name=error.name,
            ) from error

        return PostgresStore.from_url(url)
    raise ValidationError.single(
        "url",
        url,
        "names no store leadflow knows: use memory://, sqlite:///path or postgresql://...",
        subject="connect",
    )
