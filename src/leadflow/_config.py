"""Reading configuration (rule tables, pipelines, scoring models) from plain data (private).

Every loader in leadflow reads TOML, JSON or a dict through :class:`Reader`, which
names the key path of every problem (``rules[2].points``) in an
:class:`~leadflow.errors.InvalidConfiguration` and refuses keys it does not know.
"""

from __future__ import annotations

import builtins
import json
import math
import numbers
import sys
from collections.abc import Mapping
from datetime import timezone, tzinfo
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.errors import InvalidConfiguration

E = TypeVar("E", bound=Enum)

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    import tomllib
else:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib

__all__ = [
    "Reader",
    "load_file",
    "load_json",
    "load_toml",
    "mapping",
    "nested",
    "require_text",
    "time_zone",
]


def mapping(data: Any, key: str) -> Mapping[str, Any]:
    """``data`` if it is a mapping, else an ``InvalidConfiguration`` at ``key``."""
    if not isinstance(data, Mapping):
        raise InvalidConfiguration(key=key, reason="must be a table (a mapping)", value=data)
    return data


def nested(error: InvalidConfiguration, prefix: str) -> InvalidConfiguration:
    """The same error with its key path placed under ``prefix`` (a table read on its own)."""
    inner = error.key
    if inner == "$":
        key = prefix
    elif inner.startswith("["):
        key = prefix + inner
    else:
        key = f"{prefix}.{inner}"
    return InvalidConfiguration(key=key, reason=error.reason, value=error.value)


def require_text(key: str, value: object) -> None:
    """Raise :class:`~leadflow.errors.InvalidConfiguration` at ``key`` unless ``value`` is text."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidConfiguration(key=key, reason="must be a non-empty text", value=value)


def choice(kind: type[E], value: object, *, key: str, what: str) -> E:
    """``value`` as a member of the enumeration ``kind``: the member, or its value in any case.

    Anything else raises :class:`~leadflow.errors.InvalidConfiguration` at ``key``:
    "unknown <what>; expected one of: <the values>".
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip().lower())
        except ValueError:
            pass
    expected = ", ".join(str(member.value) for member in kind)
    raise InvalidConfiguration(
        key=key, reason=f"unknown {what}; expected one of: {expected}", value=value
    )


def _join(key: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{key}[{name}]"
    return name if key == "$" else f"{key}.{name}"


class Reader:
    """Reads the keys of one table of configuration and refuses unknown keys.

    Call :meth:`done` after reading every key the table may hold: a key that was
    never asked for is reported as unknown, with the keys that are expected.
    """

    def __init__(self, data: Any, key: str) -> None:
        self.data = mapping(data, key)
        self.key = key
        self.seen: set[str] = set()

    def path(self, name: str | int) -> str:
        """The key path of ``name`` inside this table."""
        return _join(self.key, name)

    def has(self, name: str) -> bool:
        """Whether the table holds ``name`` (with a value other than ``None``)."""
        self.seen.add(name)
        return self.data.get(name) is not None

    def raw(self, name: str) -> Any:
        """The value at ``name`` as it is, or ``None``."""
        self.seen.add(name)
        return self.data.get(name)

    def text(self, name: str) -> str:
        """A required non-empty text."""
        value = self.raw(name)
        if not isinstance(value, str) or not value.strip():
            reason = "is required" if value is None else "must be a non-empty text"
            raise InvalidConfiguration(key=self.path(name), reason=reason, value=value)
        return value

    def optional_text(self, name: str) -> str | None:
        """A non-empty text, or ``None`` when absent."""
        return None if self.raw(name) is None else self.text(name)

    def flag(self, name: str, *, default: bool = False) -> bool:
        """``true`` or ``false``; ``default`` when absent."""
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise InvalidConfiguration(
                key=self.path(name), reason="must be true or false", value=value
            )
        return value

    def number(
        self,
        name: str,
        *,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
    ) -> float:
        """A finite number within the bounds given; required unless ``default`` is given."""
        value = self.optional_number(name, minimum=minimum, maximum=maximum, above=above)
        if value is None:
            if default is None:
                raise InvalidConfiguration(key=self.path(name), reason="is required")
            return default
        return value

    def optional_number(
        self,
        name: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        above: float | None = None,
    ) -> float | None:
        """A finite number within the bounds given, or ``None`` when absent."""
        value = self.raw(name)
        if value is None:
            return None
        return check_number(self.path(name), value, minimum=minimum, maximum=maximum, above=above)

    def integer(self, name: str, *, default: int | None = None, minimum: int | None = None) -> int:
        """A whole number no smaller than ``minimum``; required unless ``default`` is given."""
        value = self.raw(name)
        if value is None:
            if default is None:
                raise InvalidConfiguration(key=self.path(name), reason="is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidConfiguration(
                key=self.path(name), reason="must be a whole number", value=value
            )
        if minimum is not None and value < minimum:
            raise InvalidConfiguration(
                key=self.path(name), reason=f"must be at least {minimum}", value=value
            )
        return value

    def list(self, name: str, *, required: bool = True) -> list[Any]:
        """A list (or tuple); an empty list when absent and not ``required``."""
        value = self.raw(name)
        if value is None and not required:
            return []
        if not isinstance(value, list | tuple):
            reason = "is required" if value is None else "must be a list"
            raise InvalidConfiguration(key=self.path(name), reason=reason, value=value)
        return list(value)

    def texts(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        """A list of non-empty texts."""
        items = self.list(name, required=required)
        for i, item in enumerate(items):
            require_text(_join(self.path(name), i), item)
        return tuple(items)

    def table(self, name: str, *, required: bool = True) -> Reader | None:
        """A nested table as its own :class:`Reader`, or ``None`` when absent and optional."""
        value = self.raw(name)
        if value is None:
            if required:
                raise InvalidConfiguration(key=self.path(name), reason="is required")
            return None
        return Reader(value, self.path(name))

    def tables(self, name: str, *, required: bool = True) -> builtins.list[Reader]:
        """A list of tables, each as its own :class:`Reader` with its index in the path."""
        return [
            Reader(item, _join(self.path(name), i))
            for i, item in enumerate(self.list(name, required=required))
        ]

    def fail(self, name: str | int, reason: str, value: object = None) -> InvalidConfiguration:
        """An error at ``name`` inside this table (to raise)."""
        return InvalidConfiguration(key=self.path(name), reason=reason, value=value)

    def done(self) -> None:
        """Refuse any key of the table that was not read."""
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise InvalidConfiguration(
                key=self.path(extra[0]),
                reason="unknown key; expected one of: " + ", ".join(sorted(self.seen)),
            )


def check_number(
    key: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> float:
    """``value`` as a float if it is a finite number within the bounds, else an error at ``key``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidConfiguration(key=key, reason="must be a finite number", value=value)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidConfiguration(key=key, reason="must be a finite number", value=value)
    if minimum is not None and number < minimum:
        raise InvalidConfiguration(key=key, reason=f"must be at least {minimum:g}", value=value)
    if maximum is not None and number > maximum:
        raise InvalidConfiguration(key=key, reason=f"must be at most {maximum:g}", value=value)
    if above is not None and number <= above:
        raise InvalidConfiguration(key=key, reason=f"must be more than {above:g}", value=value)
    return number


def time_zone(name: str, *, key: str = "time_zone") -> tzinfo:
    """The IANA time zone ``name`` (``"UTC"`` always works); unknown is an error at ``key``."""
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidConfiguration(
            key=key, reason="not a known IANA time zone", value=name
        ) from None


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error is :class:`~leadflow.errors.InvalidConfiguration`."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        raise InvalidConfiguration(key="$", reason=f"not valid TOML: {error}") from None


def load_json(text: str) -> Mapping[str, Any]:
    """Parse JSON text holding one object; bad JSON is ``InvalidConfiguration``."""
    try:
        return mapping(json.loads(text), "$")
    except json.JSONDecodeError as error:
        raise InvalidConfiguration(key="$", reason=f"not valid JSON: {error}") from None


def load_file(path: str | Path) -> Mapping[str, Any]:
    """Read a ``.toml`` or ``.json`` configuration file into plain data."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".toml":
        return load_toml(text)
    if path.suffix.lower() == ".json":
        return load_json(text)
    raise InvalidConfiguration(
        key=str(path), reason="the file must end in .toml or .json", value=path.suffix
    )
