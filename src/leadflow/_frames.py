"""Optional pandas support: plain records to a DataFrame (private module)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def to_frame(records: Iterable[Mapping[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` with one row per record; a clear ImportError without pandas.

    pandas is optional, so it is imported here, when a frame is asked for, and the
    return type is ``Any`` so that type checking does not need pandas' stubs.
    """
    try:
        import pandas  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 - optional, imported on use
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_frame() needs pandas: pip install 'leadflow[frames]' (or pandas)"
        ) from None
    return pandas.DataFrame.from_records(list(records))
