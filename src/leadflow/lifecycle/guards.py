"""Guards: the conditions a transition checks before it lets an entity move.

A guard is a pure predicate over an entity and the :class:`Request` that asks for the
move.  It answers ``None`` when it lets the move happen and a reason (one short
sentence about the entity) when it refuses, so that a refusal can say exactly
what is missing::

    >>> HasOwner()(lead, request)
    'the lead has no owner'

Rule tables name their guards in data (``guards = ["has_owner", {name =
"bant_or_score", min_bant = 3}]``); :data:`GUARDS` maps each built-in name to the
class that builds it, and :func:`build_guard` turns one such entry into a guard.
Your own guards are any object with a ``name`` and that call signature; pass them to
the loaders in ``guards=`` to use them from data, or wrap a plain function in
:class:`Check`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from leadflow._config import nested
from leadflow._fields import EMPTY_MAP, FrozenMap, to_frozen_map, to_tuple
from leadflow.errors import InvalidConfiguration

__all__ = [
    "GUARDS",
    "AmountSet",
    "BantOrScore",
    "Check",
    "CloseDateSet",
    "ContactRoleIn",
    "FieldSet",
    "Guard",
    "HasOwner",
    "Reachable",
    "ReasonIn",
    "Request",
    "build_guard",
    "guard_to_data",
]


def _inputs(value: Mapping[str, Any]) -> FrozenMap[str, Any]:
    return to_frozen_map(value)


@attrs.frozen(kw_only=True)
class Request:
    """What an action is asked with: when, by whom, why, and any other inputs.

    ``inputs`` holds what a particular action needs beyond the reason (a close
    date, a competitor); guards may read them.
    """

    action: str
    at: datetime
    actor: str | None = None
    reason: str | None = None
    inputs: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=_inputs)


@runtime_checkable
class Guard(Protocol):
    """A condition on a transition: ``None`` lets it happen, a string says why not."""

    @property
    def name(self) -> str:
        """The guard's name, as rule tables refer to it."""
        ...

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Return ``None`` to allow the move, or the reason it is refused."""
        ...


def _kind(entity: Any) -> str:
    return type(entity).__name__.lower()


@attrs.frozen(kw_only=True)
class HasOwner:
    """The entity has an owner."""

    name = "has_owner"

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when ``entity.owner`` is not set."""
        if getattr(entity, "owner", None) is None:
            return f"the {_kind(entity)} has no owner"
        return None


@attrs.frozen(kw_only=True)
class Reachable:
    """The person can be reached: an e-mail address or a phone number, with consent.

    ``require_opt_in`` (the default) needs consent given for the channel;
    ``False`` applies an opt-out regime, where a channel is usable unless consent
    was withdrawn.  A standing do-not-contact request blocks both.
    """

    name = "reachable"
    require_opt_in: bool = True

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when neither an e-mail address nor a phone number may be used."""
        consent = entity.consent
        if entity.email is not None and consent.may_email(require_opt_in=self.require_opt_in):
            return None
        if entity.phone is not None and consent.may_call(require_opt_in=self.require_opt_in):
            return None
        if consent.blocked:
            return "the person asked not to be contacted"
        missing = []
        if entity.email is None:
            missing.append("no e-mail address")
        else:
            missing.append("no consent to e-mail")
        if entity.phone is None:
            missing.append("no phone number")
        else:
            missing.append("no consent to call")
        return "no way to reach the person: " + " and ".join(missing)


@attrs.frozen(kw_only=True)
class BantOrScore:
    """Qualification evidence: enough BANT criteria assessed, or a high enough score.

    Passes when at least ``min_bant`` of the four BANT criteria are assessed, or
    when ``min_score`` is set and the lead's latest score reaches it.
    """

    name = "bant_or_score"
    min_bant: int = attrs.field(default=3)
    min_score: float | None = None

    @min_bant.validator
    def _check_min_bant(self, attribute: attrs.Attribute[Any], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
            raise InvalidConfiguration(
                key="min_bant", reason="must be a whole number from 0 to 4", value=value
            )

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when neither the BANT assessment nor the score is enough."""
        known = entity.bant.known
        if len(known) >= self.min_bant:
            return None
        score = entity.score
        if self.min_score is not None and score is not None and score.value >= self.min_score:
            return None
        missing = ", ".join(entity.bant.unknown)
        text = (
            f"BANT has {len(known)} of 4 criteria assessed "
            f"(needs {self.min_bant}; missing {missing})"
        )
        if self.min_score is None:
            return text
        if score is None:
            return text + f" and the lead has no score (needs {self.min_score:g})"
        return text + f" and the score {score.value:g} is under {self.min_score:g}"


@attrs.frozen(kw_only=True)
class ReasonIn:
    """The action needs a reason; with ``reasons`` set, one of those.

    Reasons compare without regard to case and surrounding spaces.
    """

    name = "reason_in"
    reasons: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)

    def canonical(self, reason: str) -> str:
        """``reason`` as the list spells it (trimmed, when the list is empty or lacks it)."""
        wanted = reason.strip().casefold()
        return next((r for r in self.reasons if r.casefold() == wanted), reason.strip())

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse a missing reason, or one not in the list."""
        allowed = ", ".join(self.reasons)
        if request.reason is None or not request.reason.strip():
            if self.reasons:
                return f"a reason is required, one of: {allowed}"
            return "a reason is required"
        if self.reasons:
            wanted = request.reason.strip().casefold()
            if all(wanted != r.casefold() for r in self.reasons):
                return f"the reason {request.reason!r} is not one of: {allowed}"
        return None


@attrs.frozen(kw_only=True)
class FieldSet:
    """A field of the entity is set: not ``None`` and not empty."""

    name = "field_set"
    field: str

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when the field is ``None``, an empty string or an empty collection."""
        value = getattr(entity, self.field, None)
        if value is None or (hasattr(value, "__len__") and len(value) == 0):
            return f"the {_kind(entity)}'s {self.field} is not set"
        return None


@attrs.frozen(kw_only=True)
class AmountSet:
    """The opportunity has an amount."""

    name = "amount_set"

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when ``entity.amount`` is not set."""
        return "the amount is not set" if entity.amount is None else None


@attrs.frozen(kw_only=True)
class CloseDateSet:
    """The opportunity has an expected close date."""

    name = "close_date_set"

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when ``entity.expected_close_date`` is not set."""
        return "the close date is not set" if entity.expected_close_date is None else None


@attrs.frozen(kw_only=True)
class ContactRoleIn:
    """One of the opportunity's contacts plays one of ``roles`` (``"decision maker"``).

    Roles compare without regard to case, and ``_`` counts as a space.
    """

    name = "contact_role"
    roles: tuple[str, ...] = attrs.field(default=("decision maker",), converter=to_tuple)

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse when no contact role is among ``roles``."""
        wanted = {_role_key(r) for r in self.roles}
        if any(_role_key(cr.role) in wanted for cr in entity.contact_roles):
            return None
        return "no contact with the role " + " or ".join(repr(r) for r in self.roles)


def _role_key(role: str) -> str:
    return " ".join(role.replace("_", " ").casefold().split())


@attrs.frozen(kw_only=True)
class Check:
    """A guard made from a plain predicate: refuses with ``reason`` when ``test`` is false.

    ``Check("has_phone", lambda lead, request: lead.phone is not None, "no phone")``.
    A ``Check`` cannot be written to data; register its name with the loaders'
    ``guards=`` to use it from a file.
    """

    name: str
    test: Callable[[Any, Request], bool] = attrs.field(eq=False)
    reason: str

    def __call__(self, entity: Any, request: Request, /) -> str | None:
        """Refuse with ``reason`` when the predicate is false."""
        return None if self.test(entity, request) else self.reason


#: The built-in guards by name: each entry builds a guard from its parameters.
GUARDS: Mapping[str, Callable[..., Guard]] = FrozenMap(
    {
        cls.name: cls
        for cls in (
            HasOwner,
            Reachable,
            BantOrScore,
            ReasonIn,
            FieldSet,
            AmountSet,
            CloseDateSet,
            ContactRoleIn,
        )
    }
)


def build_guard(
    data: Any, *, key: str, guards: Mapping[str, Callable[..., Guard]] | None = None
) -> Guard:
    """Build a guard from data: its name, or a table with ``name`` and parameters.

    ``guards`` adds to (or overrides) the built-in :data:`GUARDS`.  Anything wrong
    raises :class:`~leadflow.errors.InvalidConfiguration` naming ``key``.
    """
    if isinstance(data, Guard) and not isinstance(data, (str, Mapping)):
        return data
    known = {**GUARDS, **(guards or {})}
    if isinstance(data, str):
        name, params = data, {}
    elif isinstance(data, Mapping):
        params = dict(data)
        name = params.pop("name", None)
        if not isinstance(name, str):
            raise InvalidConfiguration(key=f"{key}.name", reason="a guard needs a name", value=name)
    else:
        raise InvalidConfiguration(
            key=key, reason="a guard is a name or a table with a name", value=data
        )
    factory = known.get(name)
    if factory is None:
        raise InvalidConfiguration(
            key=key,
            reason="unknown guard; known: " + ", ".join(sorted(known)),
            value=name,
        )
    cls: Any = factory
    if isinstance(cls, type) and attrs.has(cls):
        accepted = [a.name for a in attrs.fields(cls) if a.init]
        for param in params:
            if param not in accepted:
                expected = ", ".join(accepted) if accepted else "none"
                raise InvalidConfiguration(
                    key=f"{key}.{param}",
                    reason=f"unknown parameter of guard {name}; expected: {expected}",
                )
    try:
        return factory(**params)
    except InvalidConfiguration as error:
        raise nested(error, key) from None
    except (TypeError, ValueError) as error:
        raise InvalidConfiguration(
            key=key, reason=f"bad parameters for guard {name}: {error}", value=params
        ) from None


def guard_to_data(guard: Guard) -> str | dict[str, Any]:
    """Write a guard as data: its name, or a table of its name and non-default parameters.

    Raises :class:`~leadflow.errors.InvalidConfiguration` for a guard that is not
    built from parameters (a :class:`Check`, a hand-written guard without attrs).
    """
    cls: Any = type(guard)
    if isinstance(guard, Check) or not attrs.has(cls):
        raise InvalidConfiguration(
            key=guard.name,
            reason="this guard is code, not data; it cannot be written to a file",
        )
    params: dict[str, Any] = {}
    for field in attrs.fields(cls):
        value = getattr(guard, field.name)
        if field.default is not attrs.NOTHING and value == field.default:
            continue
        params[field.name] = list(value) if isinstance(value, tuple) else value
    return {"name": guard.name, **params} if params else guard.name
