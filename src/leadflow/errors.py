"""The errors leadflow raises: one root, one subclass per kind of failure.

Every error leadflow raises on purpose derives from :class:`LeadflowError`, so an
application can catch them all in one place.  Each subclass carries the facts a
caller needs to act on the failure as attributes, and its message states them in
one line, for example::

    cannot qualify lead lead_3f2a... in state disqualified; allowed: recycle

Errors pickle and unpickle with their attributes intact, so they survive being
sent between processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "MISSING",
    "ConcurrencyConflict",
    "CurrencyMismatch",
    "DuplicateEntity",
    "InvalidConfiguration",
    "InvalidTransition",
    "LeadflowError",
    "ModelNotFitted",
    "NotFound",
    "Problem",
    "StorageError",
    "ValidationError",
    "join_path",
]

#: The path of a problem that concerns the whole value or document.
ROOT = "$"


class _Missing:
    """The type of :data:`MISSING`."""

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


#: The ``value`` of a :class:`Problem` about a required key that is absent.
MISSING = _Missing()


class LeadflowError(Exception):
    """The root of every error leadflow raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, so the default reduction
        # (``cls(*args)``) would fail; rebuild from the instance's attributes.
        return (_rebuild, (type(self), self.__dict__))


def _rebuild(cls: type[LeadflowError], state: dict[str, Any]) -> LeadflowError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, *state.get("_args", ()))
    return error


def join_path(prefix: str, key: str | int) -> str:
    """The path of ``key`` inside the value at ``prefix``.

    Field names join with a dot (``touches[2].occurred_at``); positions and keys that
    are not plain names go in brackets (``touches[2]``, ``custom_fields['my key']``).
    """
    if isinstance(key, int):
        step = f"[{key}]"
    elif key.isidentifier():
        step = key if prefix in ("", ROOT) else f".{key}"
    else:
        step = f"[{key!r}]"
    return step if prefix in ("", ROOT) else prefix + step


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with a value: where, what was there, and why it is refused.

    ``path`` uses dots for fields and brackets for positions and keys, relative to
    the value being checked, e.g. ``touches[2].occurred_at`` or
    ``custom_fields['tier']``; ``$`` stands for the value as a whole.
    """

    path: str
    value: object
    reason: str

    def __str__(self) -> str:
        text = self.reason if self.value is MISSING else f"{_short(self.value)} {self.reason}"
        return text if self.path == ROOT else f"{self.path}: {text}"

    def under(self, prefix: str) -> Problem:
        """Return this problem with its path placed under ``prefix``."""
        if not prefix or prefix == ROOT:
            return self
        if self.path == ROOT:
            return attrs.evolve(self, path=prefix)
        joiner = "" if self.path.startswith("[") else "."
        return attrs.evolve(self, path=f"{prefix}{joiner}{self.path}")


class ValidationError(LeadflowError, ValueError):
    """A value, entity or document is invalid; lists every problem found.

    ``problems`` holds one :class:`Problem` per fault, each naming its field path,
    the offending value and the reason.  ``subject`` names what was being checked
    (``"Lead"``, ``"EmailAddress"``, ...) when known.
    """

    problems: tuple[Problem, ...]
    subject: str | None

    def __init__(self, problems: Iterable[Problem], *, subject: str | None = None) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("a ValidationError needs at least one problem")
        self.subject = subject
        self._args = (self._message(),)
        super().__init__(*self._args)

    @classmethod
    def single(
        cls, path: str, value: object, reason: str, *, subject: str | None = None
    ) -> ValidationError:
        """Build an error with one problem."""
        return cls([Problem(path=path, value=value, reason=reason)], subject=subject)

    def under(self, prefix: str, *, subject: str | None = None) -> ValidationError:
        """Return the same problems with their paths placed under ``prefix``."""
        return ValidationError(
            (p.under(prefix) for p in self.problems), subject=subject or self.subject
        )

    def _message(self) -> str:
        head = f"invalid {self.subject}" if self.subject else "invalid value"
        if len(self.problems) == 1:
            return f"{head}: {self.problems[0]}"
        listed = "; ".join(str(p) for p in self.problems)
        return f"{head} ({len(self.problems)} problems): {listed}"


class NotFound(LeadflowError, LookupError):
    """No entity of kind ``entity`` exists under ``key`` (an id or a natural key)."""

    def __init__(self, *, entity: str, key: object) -> None:
        self.entity = entity
        self.key = key
        self._args = (f"{entity} {key} not found",)
        super().__init__(*self._args)


class InvalidTransition(LeadflowError):
    """An action is not allowed for an entity in its current state.

    ``allowed`` lists the actions that are allowed in that state; ``reason`` says
    why this one was refused when a guard refused it.
    """

    def __init__(
        self,
        *,
        entity: str,
        entity_id: object,
        state: str,
        action: str,
        allowed: Sequence[str] = (),
        reason: str | None = None,
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.state = state
        self.action = action
        self.allowed = tuple(allowed)
        self.reason = reason
        message = f"cannot {action} {entity} {entity_id} in state {state}"
        if reason:
            message += f": {reason}"
        message += "; allowed: " + (", ".join(self.allowed) if self.allowed else "none")
        self._args = (message,)
        super().__init__(*self._args)


class ConcurrencyConflict(LeadflowError):
    """Someone else changed the entity first: the stored version is not the expected one.

    ``stored`` is ``None`` when the entity no longer exists.
    """

    def __init__(
        self, *, entity: str, entity_id: object, expected: int, stored: int | None
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.stored = stored
        found = "it no longer exists" if stored is None else f"found version {stored}"
        self._args = (
            f"{entity} {entity_id} was changed concurrently: expected version {expected}, {found}",
        )
        super().__init__(*self._args)


class DuplicateEntity(LeadflowError):
    """An entity with the same identity or unique natural key already exists."""

    def __init__(self, *, entity: str, key: object, field: str = "id") -> None:
        self.entity = entity
        self.key = key
        self.field = field
        self._args = (f"{entity} with {field} {key} already exists",)
        super().__init__(*self._args)


class CurrencyMismatch(LeadflowError, ValueError):
    """Two amounts in different currencies met in one operation."""

    def __init__(
        self,
        *,
        left: str,
        right: str,
        operation: str,
        reason: str = "amounts in different currencies; convert one of them first",
    ) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        self.reason = reason
        message = f"cannot {operation} {left} and {right}: {reason}"
        self._args = (message,)
        super().__init__(*self._args)


class InvalidConfiguration(LeadflowError, ValueError):
    """A rule table, model or other configuration is invalid.

    ``key`` is the path of the offending key or the name of the rule, e.g.
    ``stages[3].probability``.
    """

    def __init__(self, *, key: str, reason: str, value: object = None) -> None:
        self.key = key
        self.reason = reason
        self.value = value
        shown = "" if value is None else f" (got {_short(value)})"
        self._args = (f"invalid configuration at {key}: {reason}{shown}",)
        super().__init__(*self._args)


class StorageError(LeadflowError):
    """The storage behind a store failed: the database is busy, unreachable, full, ...

    ``entity`` and ``operation`` say what was being done (``"lead"``, ``"update"``);
    ``reason`` is the driver's explanation.  Nothing of the unit of work that met the
    error has been stored.
    """

    def __init__(self, *, entity: str, operation: str, reason: str) -> None:
        self.entity = entity
        self.operation = operation
        self.reason = reason
        self._args = (f"storage failed to {operation} {entity}: {reason}",)
        super().__init__(*self._args)


class ModelNotFitted(LeadflowError):
    """A model that must be fitted first was used before ``fit()``."""

    def __init__(self, *, model: str) -> None:
        self.model = model
        self._args = (f"{model} is not fitted: call fit() first and use the model it returns",)
        super().__init__(*self._args)
