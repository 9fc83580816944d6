"""Turning values and entities into JSON-ready data and back, strictly.

:func:`to_dict` / :func:`from_dict` convert between leadflow objects and plain
``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` data;
:func:`to_json` / :func:`from_json` do the same with JSON text.  The rules:

* amounts (:class:`~decimal.Decimal`) are strings, so they stay exact;
* datetimes are ISO 8601 with their UTC offset; a time without one is refused;
* ids are UUID strings, enumerations their values, sets sorted lists;
* every entity and event document carries ``"schema"``, the version of its layout
  (:data:`SCHEMA_VERSION`), and an event's also its ``"type"`` (``"entity_added"``);
* unknown keys are refused, and so are values of the wrong JSON type: ``"5"`` is
  not an integer and ``0`` is not ``false``.

Whatever is wrong with the input, reading it raises one
:class:`~leadflow.errors.ValidationError` listing every problem with its path, such
as ``touches[2].occurred_at``.

:func:`make_converter` returns a fresh ``cattrs`` converter with these rules, and
:func:`configure_converter` adds them to a converter of your own, for example one
that also knows your application's classes.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
)
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from leadflow._fields import FrozenMap, JsonScalar, parse_iso_datetime
from leadflow.accounts import Account
from leadflow.activities import Activity
from leadflow.campaigns import Campaign
from leadflow.contacts import Contact
from leadflow.errors import MISSING, ROOT, Problem, ValidationError, join_path
from leadflow.events import EVENT_TYPES, Event, event_type_name
from leadflow.leads import Lead
from leadflow.opportunities import Opportunity
from leadflow.products import Product
from leadflow.values import EmailAddress, EntityId, PhoneNumber, Probability, StrEnum

__all__ = [
    "ENTITY_TYPES",
    "SCHEMA_VERSION",
    "configure_converter",
    "dumps",
    "from_dict",
    "from_json",
    "loads",
    "make_converter",
    "to_dict",
    "to_json",
]

T = TypeVar("T")

#: The layout version written into every entity document as ``"schema"``.
SCHEMA_VERSION = 1

#: The entity classes, whose documents carry a ``"schema"`` version.
ENTITY_TYPES: tuple[type[Any], ...] = (
    Lead,
    Account,
    Contact,
    Opportunity,
    Campaign,
    Activity,
    Product,
)

#: Classes whose documents carry a ``"schema"`` version: entities and events.
_DOCUMENT_TYPES = frozenset(ENTITY_TYPES + EVENT_TYPES)
_EVENT_TAGS = {cls: event_type_name(cls) for cls in EVENT_TYPES}
_EVENT_BY_TAG = {tag: cls for cls, tag in _EVENT_TAGS.items()}
_SCHEMA_KEY = "schema"
_TYPE_KEY = "type"
_JSON_SCALAR_TYPES = (str, int, float, bool, type(None))


def _refuse(value: object, reason: str) -> ValidationError:
    return ValidationError.single(ROOT, value, reason)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


# ----------------------------------------------------------------- scalar hooks


def _exactly(kind: type[T], expected: str, *, nullable: bool = False) -> Callable[[Any, Any], Any]:
    """A hook that accepts values of exactly ``kind`` (and ``None`` if ``nullable``).

    No subclasses and no coercion: ``"5"`` is not an int, and ``True`` is not one either.
    """
    if nullable:
        expected += " or null"

    def structure(value: Any, _: Any) -> Any:
        if type(value) is kind or (nullable and value is None):
            return value
        raise _refuse(value, f"should be {expected}, not {_type_name(value)}")

    return structure


_structure_str = _exactly(str, "a string")
_structure_int = _exactly(int, "an integer")
_structure_bool = _exactly(bool, "true or false")
_structure_optional_str = _exactly(str, "a string", nullable=True)


def _structure_float(value: Any, _: Any) -> float:
    kind = type(value)
    if kind is float or kind is int:
        if math.isfinite(value):
            return float(value)
        raise _refuse(value, "should be a finite number")
    raise _refuse(value, f"should be a number, not {_type_name(value)}")


def _structure_decimal(value: Any, _: Any) -> Decimal:
    kind = type(value)
    if kind is str or kind is int or kind is float:
        try:
            number = Decimal(repr(value) if kind is float else value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
        raise _refuse(value, 'should be a decimal number written as a string, e.g. "12.50"')
    raise _refuse(value, f"should be a decimal number as a string, not {_type_name(value)}")


def _structure_datetime(value: Any, _: Any) -> datetime:
    if type(value) is not str:
        raise _refuse(value, f"should be an ISO 8601 date-time string, not {_type_name(value)}")
    try:
        parsed = parse_iso_datetime(value)
    except ValueError:
        raise _refuse(value, "is not an ISO 8601 date-time") from None
    if parsed.utcoffset() is None:
        raise _refuse(value, "has no UTC offset; write it as e.g. 2026-03-01T09:30:00+00:00")
    return parsed


def _structure_date(value: Any, _: Any) -> date:
    if type(value) is not str:
        raise _refuse(value, f"should be an ISO 8601 date string, not {_type_name(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _refuse(value, "is not an ISO 8601 date (YYYY-MM-DD)") from None


def _structure_uuid(value: Any, _: Any) -> uuid.UUID:
    if type(value) is str:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise _refuse(value, "should be a UUID string")


def _structure_email(value: Any, _: Any) -> EmailAddress:
    return EmailAddress(value=_structure_str(value, str))


def _structure_phone(value: Any, _: Any) -> PhoneNumber:
    return PhoneNumber(raw=_structure_str(value, str))


def _structure_probability(value: Any, _: Any) -> Probability:
    return Probability(value=_structure_float(value, float))


def _structure_json_scalars(value: Any, _: Any) -> dict[str, JsonScalar]:
    if type(value) is not dict:
        raise _refuse(value, f"should be an object, not {_type_name(value)}")
    problems = []
    for key, item in value.items():
        if type(key) is not str:
            problems.append(Problem(path=f"[{key!r}]", value=key, reason="is not a string key"))
        elif type(item) not in _JSON_SCALAR_TYPES:
            problems.append(Problem(path=f"[{key!r}]", value=item, reason="is not a JSON scalar"))
        elif type(item) is float and not math.isfinite(item):
            problems.append(Problem(path=f"[{key!r}]", value=item, reason="must be finite"))
    if problems:
        raise ValidationError(problems)
    return value


def _is_entity_id(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, EntityId)


def _is_attrs(t: Any) -> bool:
    return attrs.has(get_origin(t) or t)


def _is_json_scalars(t: Any) -> bool:
    return bool(t == Mapping[str, JsonScalar])


_UnionType = type(int | None)


def _is_native_optional(t: Any) -> bool:
    """``X | None`` where ``X`` is a JSON-native type that needs no unstructuring."""
    args = get_args(t)
    return (
        get_origin(t) in (Union, _UnionType)
        and type(None) in args
        and all(a in _JSON_SCALAR_TYPES for a in args)
    )


def _is_optional(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) in (Union, _UnionType) and len(args) == 2 and type(None) in args


def _optional_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Structure ``X | None`` by looking up ``X``'s hook once, not at every call."""

    def factory(t: Any) -> Callable[[Any, Any], Any]:
        (inner,) = (a for a in get_args(t) if a is not type(None))
        if inner is str:
            return _structure_optional_str
        hook = converter.get_structure_hook(inner)

        def structure(value: Any, _: Any) -> Any:
            return None if value is None else hook(value, inner)

        return structure

    return factory


# ---------------------------------------------------------- collections


def _homogeneous_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    """Structure ``tuple[X, ...]`` and ``frozenset[X]`` from JSON arrays only."""

    def factory(t: Any) -> Callable[[Any, Any], Any]:
        origin = get_origin(t)
        (element,) = get_args(t)[:1]
        hook = converter.get_structure_hook(element)
        build: Callable[[Any], Any] = tuple if origin is tuple else frozenset

        def structure(value: Any, _: Any) -> Any:
            if type(value) is not list and type(value) is not tuple:
                raise _refuse(value, f"should be an array, not {_type_name(value)}")
            try:
                return build([hook(item, element) for item in value])
            except Exception:
                problems: list[Problem] = []
                for i, item in enumerate(value):
                    try:
                        hook(item, element)
                    except Exception as error:  # noqa: PERF203 - the error path: find them all
                        problems.extend(_problems(error, item, join_path(ROOT, i)))
                raise ValidationError(problems) from None

        return structure

    return factory


def _is_frozenset(t: Any) -> bool:
    origin: Any = get_origin(t)
    return origin is frozenset or t is frozenset


def _is_homogeneous(t: Any) -> bool:
    origin = get_origin(t)
    args = get_args(t)
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis
    return origin is frozenset and len(args) == 1


# ----------------------------------------------------------- attrs classes


def _attrs_structure_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(cl: Any) -> Callable[[Any, Any], Any]:
        is_entity = cl in _DOCUMENT_TYPES
        # Documents carry "schema" (and events "type"), which are not fields: the
        # document hook checks extra keys itself.
        base = make_dict_structure_fn(cl, converter, _cattrs_forbid_extra_keys=not is_entity)
        name = getattr(cl, "__name__", str(cl))
        tag = _EVENT_TAGS.get(cl)
        allowed = {a.alias for a in attrs.fields(get_origin(cl) or cl)} | {_SCHEMA_KEY}
        if tag is not None:
            allowed.add(_TYPE_KEY)

        def structure_value(data: Any, _: Any) -> Any:
            if type(data) is not dict:
                raise _refuse(data, f"should be an object ({name}), not {_type_name(data)}")
            return base(data, cl)

        def structure_entity(data: Any, _: Any) -> Any:
            if type(data) is not dict:
                raise _refuse(data, f"should be an object ({name}), not {_type_name(data)}")
            version = data.get(_SCHEMA_KEY)
            if (
                type(version) is int
                and version == SCHEMA_VERSION
                and allowed.issuperset(data)
                and data.get(_TYPE_KEY, tag) == tag
            ):
                return base(data, cl)
            problems = _schema_problems(data)
            if tag is not None and data.get(_TYPE_KEY, tag) != tag:
                problems.append(
                    Problem(path=_TYPE_KEY, value=data[_TYPE_KEY], reason=f"should be {tag!r}")
                )
            extra = data.keys() - allowed
            problems += [
                Problem(
                    path=join_path(ROOT, key), value=data[key], reason=f"is not a field of {name}"
                )
                for key in sorted(extra, key=str)
            ]
            try:
                base(data, cl)
            except Exception as error:
                problems += _problems(error, data, ROOT)
            raise ValidationError(problems)

        return structure_entity if is_entity else structure_value

    return factory


def _schema_problems(data: dict[str, Any]) -> list[Problem]:
    version = data.get(_SCHEMA_KEY, MISSING)
    if version is MISSING:
        reason = f"is required (the document layout version, {SCHEMA_VERSION})"
    elif type(version) is not int or version < 1:
        reason = "should be a positive integer"
    elif version > SCHEMA_VERSION:
        reason = (
            f"is newer than this leadflow reads (up to {SCHEMA_VERSION}); "
            "upgrade leadflow to read this document"
        )
    else:  # an older layout: none exists yet; its upgrade will be applied here
        return []
    return [Problem(path=_SCHEMA_KEY, value=version, reason=reason)]


def _empty_default(field: attrs.Attribute[Any]) -> bool:
    """Whether a field's default is "nothing": ``None``, or an empty collection."""
    default: Any = field.default
    if hasattr(default, "takes_self"):  # an attrs.Factory
        return default.factory in (tuple, frozenset, dict, list)
    return default is None or (isinstance(default, (tuple, frozenset, FrozenMap)) and not default)


def _attrs_unstructure_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(cl: Any) -> Callable[[Any], Any]:
        # Fields left at an empty default (None, (), {}, frozenset()) are left out of
        # the document; reading fills them back in.  Other defaults (a status of
        # "new", version 0) are always written, so that a document means the same
        # thing even if a later release changes such a default.
        omit = {
            a.name: cattrs.gen.override(omit_if_default=True)
            for a in attrs.fields(get_origin(cl) or cl)
            if _empty_default(a)
        }
        make: Callable[..., Callable[[Any], dict[str, Any]]] = make_dict_unstructure_fn
        base = make(cl, converter, **omit)
        if cl not in _DOCUMENT_TYPES:
            return base
        tag = _EVENT_TAGS.get(cl)
        if tag is not None:

            def unstructure_event(obj: Any) -> dict[str, Any]:
                document = base(obj)
                document[_TYPE_KEY] = tag
                document[_SCHEMA_KEY] = SCHEMA_VERSION
                return document

            return unstructure_event

        def unstructure_entity(obj: Any) -> dict[str, Any]:
            document = base(obj)
            document[_SCHEMA_KEY] = SCHEMA_VERSION
            return document

        return unstructure_entity

    return factory


def _event_hook(converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """Structure the :data:`~leadflow.events.Event` union by the document's ``"type"``."""

    def structure(data: Any, _: Any) -> Any:
        if type(data) is not dict:
            raise _refuse(data, f"should be an object (an event), not {_type_name(data)}")
        tag = data.get(_TYPE_KEY)
        cls = _EVENT_BY_TAG.get(tag) if isinstance(tag, str) else None
        if cls is None:
            allowed = ", ".join(repr(t) for t in _EVENT_BY_TAG)
            value = data.get(_TYPE_KEY, MISSING)
            reason = "is required" if value is MISSING else f"is not one of {allowed}"
            raise ValidationError([Problem(path=_TYPE_KEY, value=value, reason=reason)])
        return converter.get_structure_hook(cls)(data, cls)

    return structure


# ------------------------------------------------------------------- errors


def _problems(error: BaseException, data: Any, path: str) -> list[Problem]:
    """Flatten whatever a structure hook raised into problems with paths."""
    if isinstance(error, ValidationError):
        return [p.under(path) for p in error.problems]
    if isinstance(error, ClassValidationError):
        found: list[Problem] = []
        with_notes, without = error.group_exceptions()
        for sub, note in with_notes:
            value = data.get(note.name, MISSING) if isinstance(data, dict) else MISSING
            found += _problems(sub, value, join_path(path, note.name))
        for sub in without:
            found += _problems(sub, data, path)
        return found
    if isinstance(error, IterableValidationError):  # lists in classes of the caller's own
        found = []
        items_with_notes, others = error.group_exceptions()
        for sub, inote in items_with_notes:
            found += _problems(sub, MISSING, join_path(path, inote.index))
        for sub in others:
            found += _problems(sub, data, path)
        return found
    if isinstance(error, ForbiddenExtraKeysError):
        return [
            Problem(
                path=join_path(path, key),
                value=data.get(key) if isinstance(data, dict) else MISSING,
                reason=f"is not a field of {error.cl.__name__}",
            )
            for key in sorted(error.extra_fields, key=str)
        ]
    if isinstance(error, KeyError) and data is MISSING:
        return [Problem(path=path, value=MISSING, reason="is required")]
    return [Problem(path=path, value=data, reason=f"is invalid ({type(error).__name__}: {error})")]


# ---------------------------------------------------------------- converter


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` leadflow's types and its strict JSON rules.

    Registers hooks for the scalar types (strict: no silent ``"5"`` -> ``5``),
    :class:`~decimal.Decimal`, dates and datetimes, UUIDs and ids, e-mail addresses,
    phone numbers, probabilities, enumerations, immutable collections, custom
    fields, and every attrs class (objects only, unknown keys refused, ``"schema"``
    on entity documents).
    """
    # cattrs consults the most recent registration first: the generic attrs
    # factories go first so that the specific hooks below take precedence.
    converter.register_structure_hook_factory(_is_attrs, _attrs_structure_factory(converter))
    converter.register_unstructure_hook_factory(_is_attrs, _attrs_unstructure_factory(converter))
    # Class-based hooks dispatch on the most specific registered class, so the StrEnum
    # hook below wins over str for leadflow's enums, and bool's over int's.
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(uuid.UUID, _structure_uuid)
    converter.register_unstructure_hook(uuid.UUID, str)
    converter.register_structure_hook(EmailAddress, _structure_email)
    converter.register_unstructure_hook(EmailAddress, lambda e: e.value)
    converter.register_structure_hook(PhoneNumber, _structure_phone)
    converter.register_unstructure_hook(PhoneNumber, lambda p: p.raw)
    converter.register_structure_hook(Probability, _structure_probability)
    converter.register_unstructure_hook(Probability, lambda p: p.value)
    converter.register_structure_hook_func(_is_json_scalars, _structure_json_scalars)
    converter.register_unstructure_hook_func(_is_json_scalars, dict)
    converter.register_unstructure_hook_func(_is_native_optional, identity)
    converter.register_structure_hook_factory(_is_optional, _optional_factory(converter))
    converter.register_unstructure_hook(FrozenMap, dict)

    def structure_id(value: Any, cl: type[EntityId]) -> EntityId:
        return cl.parse(value)

    converter.register_structure_hook_func(_is_entity_id, structure_id)
    converter.register_unstructure_hook_func(_is_entity_id, lambda i: str(i.value))

    def structure_enum(value: Any, cl: type[Enum]) -> Enum:
        try:
            return cl(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in cl)
            raise _refuse(value, f"is not one of {allowed}") from None

    # Class-based (like the Enum hook cattrs has by default), so it takes precedence.
    converter.register_structure_hook(StrEnum, structure_enum)
    converter.register_unstructure_hook(StrEnum, lambda e: e.value)

    converter.register_structure_hook_func(lambda t: t == Event, _event_hook(converter))
    converter.register_unstructure_hook_func(lambda t: t == Event, converter.unstructure)
    converter.register_structure_hook_factory(_is_homogeneous, _homogeneous_factory(converter))
    converter.register_unstructure_hook_func(_is_frozenset, sorted)


def make_converter() -> cattrs.Converter:
    """A new converter configured by :func:`configure_converter`."""
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    configure_converter(converter)
    return converter


_CONVERTER = make_converter()


# ---------------------------------------------------------------------- API


def to_dict(obj: Any) -> Any:
    """Turn a leadflow value or entity into JSON-ready data (an entity gives a dict)."""
    return _CONVERTER.unstructure(obj)


def _subject(cls: Any) -> str:
    """What a ValidationError calls the thing being read (a class name, or "Event")."""
    return "Event" if cls == Event else getattr(cls, "__name__", repr(cls))


def from_dict(cls: type[T], data: Any) -> T:
    """Build a ``cls`` from JSON-like data.

    Raises one :class:`~leadflow.errors.ValidationError` listing every problem.
    """
    try:
        return _CONVERTER.structure(data, cls)
    except ValidationError as error:
        raise ValidationError(error.problems, subject=_subject(cls)) from None
    except Exception as error:
        raise ValidationError(_problems(error, data, ROOT), subject=_subject(cls)) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Built once: json.dumps and json.loads build a new encoder or decoder at every call
# that passes options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def dumps(data: Any) -> str:
    """JSON text for JSON-ready data (as :func:`to_dict` makes), compact, with no NaN."""
    return _ENCODER.encode(data)


def loads(text: str | bytes) -> Any:
    """JSON data from text; NaN and Infinity are refused (``ValueError``)."""
    if isinstance(text, (bytes, bytearray)):  # as json.loads reads bytes
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return _DECODER.decode(text)


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """Serialize a leadflow value or entity to JSON text (UTF-8 safe, no NaN)."""
    if indent is None:
        return _ENCODER.encode(to_dict(obj))
    return json.dumps(to_dict(obj), ensure_ascii=False, allow_nan=False, indent=indent)


def from_json(cls: type[T], text: str | bytes) -> T:
    """Parse JSON text into a ``cls``.

    Raises one :class:`~leadflow.errors.ValidationError` listing every problem.
    """
    try:
        data = loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError.single(
            ROOT,
            text,
            f"is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})",
            subject=_subject(cls),
        ) from None
    except (ValueError, TypeError) as error:
        raise ValidationError.single(
            ROOT, text, f"is not valid JSON ({error})", subject=_subject(cls)
        ) from None
    return from_dict(cls, data)
