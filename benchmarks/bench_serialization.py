"""Serialization benchmark: build leads, dump them to JSON, load them back.

Usage::

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_serialization.py [--leads 100000] [--repeat 3]

Each lead has names, an e-mail address, a company, a country, three product-interest
tags and three touchpoints.  The same leads are handled three ways, in the same run:

* **leadflow**: ``Lead(...)``, ``to_json`` and ``from_json`` (strict checking of every
  field's JSON type, unknown keys refused, every problem reported with its path);
* **hand-written, same checks**: ``__slots__`` classes, frozen like leadflow's, with a
  hand-written ``__init__`` that enforces the same invariants (aware datetimes stored
  in UTC, e-mail syntax, UUID ids) and hand-written ``to_dict``/``from_dict`` around the
  stdlib ``json`` module that check what leadflow checks on the way in: each field's
  JSON type, unknown keys, the schema version.  It stops at the first problem where
  leadflow lists them all, which costs nothing on valid input;
* **hand-written, minimal**: the same classes without those guarantees: mutable, no
  JSON type checks, unknown keys ignored (only the invariants in ``__init__``).  It shows
  what the guarantees cost;
* **pydantic v2**: frozen models with ``extra="forbid"``, ``AwareDatetime``, a pattern
  on the e-mail, ``model_dump_json(exclude_none=True)`` and ``model_validate_json``.

All four write the same documents (checked).  Every figure is the best of ``--repeat``
runs, as leads per second.  The targets (issue 2): the leadflow round trip at least as
fast as the hand-written one with the same checks, and within 1.25x of pydantic's.
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Optional

from _timing import best_of

import leadflow as lf

UTC = timezone.utc
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TAGS = ("crm", "analytics", "api", "billing", "support")
SOURCES = ("google", "linkedin", "newsletter", "partner", "direct")


def raw_lead(i: int) -> dict[str, Any]:
    """The inputs for lead ``i``, shared by all three implementations."""
    created = T0 + timedelta(minutes=i)
    return {
        "id": uuid.UUID(int=(i + 1) * 0x9E3779B97F4A7C15 % (1 << 122) | (0x7 << 76)),
        "created_at": created,
        "first_name": "Ada",
        "last_name": f"Lovelace{i}",
        "email": f"ada.lovelace{i}@example{i % 97}.com",
        "company": f"Analytical Engines {i % 1000}",
        "country": "United Kingdom",
        "tags": frozenset(TAGS[(i + k) % 5] for k in range(3)),
        "touches": [
            {
                "occurred_at": created + timedelta(hours=k),
                "source": SOURCES[(i + k) % 5],
                "medium": "cpc" if k == 0 else "email",
                "campaign": f"spring-{k}",
                "landing_page": f"https://example.com/landing/{k}",
            }
            for k in range(3)
        ],
    }


# ------------------------------------------------------------------ leadflow


def lf_build(raw: dict[str, Any]) -> lf.Lead:
    touches = [lf.Touchpoint(**t) for t in raw["touches"]]
    return lf.Lead(
        id=lf.LeadId(value=raw["id"]),
        created_at=raw["created_at"],
        first_name=raw["first_name"],
        last_name=raw["last_name"],
        email=raw["email"],
        company=raw["company"],
        country=raw["country"],
        product_interests=raw["tags"],
        first_touch=touches[0],
        touches=touches,
    )


def lf_load(text: str) -> lf.Lead:
    return lf.from_json(lf.Lead, text)


# -------------------------------------------------------------- hand-written

EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\Z"
)


def _aware(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("naive datetime")
    return value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not EMAIL.match(value):
        raise ValueError(f"bad e-mail {value!r}")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _time(text: str) -> datetime:
    return _aware(datetime.fromisoformat(text))


class HTouch:
    __slots__ = ("campaign", "landing_page", "medium", "occurred_at", "source")

    def __init__(self, *, occurred_at, source=None, medium=None, campaign=None, landing_page=None):
        self.occurred_at = _aware(occurred_at)
        self.source = source
        self.medium = medium
        self.campaign = campaign
        self.landing_page = landing_page

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"occurred_at": self.occurred_at.isoformat()}
        for key in ("source", "medium", "campaign", "landing_page"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HTouch:
        return cls(
            occurred_at=_time(d["occurred_at"]),
            source=d.get("source"),
            medium=d.get("medium"),
            campaign=d.get("campaign"),
            landing_page=d.get("landing_page"),
        )


class HLead:
    __slots__ = (
        "company",
        "country",
        "created_at",
        "email",
        "first_name",
        "first_touch",
        "id",
        "last_name",
        "marketing_stage",
        "status",
        "tags",
        "touches",
        "updated_at",
        "version",
    )

    def __init__(
        self,
        *,
        id,
        created_at,
        updated_at=None,
        version=0,
        first_name=None,
        last_name=None,
        email=None,
        company=None,
        country=None,
        tags=frozenset(),
        first_touch=None,
        touches=(),
        status="new",
        marketing_stage="lead",
    ):
        email = _email(email)
        self.id = id
        self.version = version
        self.created_at = _aware(created_at)
        self.updated_at = created_at if updated_at is None else _aware(updated_at)
        self.first_name = first_name
        self.last_name = last_name
        self.email = email
        self.company = company
        self.country = country
        self.tags = frozenset(tags)
        self.first_touch = first_touch
        self.touches = tuple(touches)
        self.status = status
        self.marketing_stage = marketing_stage

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": str(self.id),
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "status": self.status,
            "marketing_stage": self.marketing_stage,
            "bant": {},
            "consent": {},
        }
        for key in ("first_name", "last_name", "email", "company", "country"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.tags:
            d["product_interests"] = sorted(self.tags)
        if self.first_touch is not None:
            d["first_touch"] = self.first_touch.to_dict()
        if self.touches:
            d["touches"] = [t.to_dict() for t in self.touches]
        d["schema"] = 1
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HLead:
        first = d.get("first_touch")
        return cls(
            id=uuid.UUID(d["id"]),
            version=d["version"],
            created_at=_time(d["created_at"]),
            updated_at=_time(d["updated_at"]),
            first_name=d.get("first_name"),
            last_name=d.get("last_name"),
            email=d.get("email"),
            company=d.get("company"),
            country=d.get("country"),
            tags=d.get("product_interests", ()),
            first_touch=None if first is None else HTouch.from_dict(first),
            touches=[HTouch.from_dict(t) for t in d.get("touches", ())],
            status=d["status"],
            marketing_stage=d["marketing_stage"],
        )


def hand_build(
    raw: dict[str, Any], lead: type[HLead] = HLead, touch: type[HTouch] = HTouch
) -> HLead:
    touches = [touch(**t) for t in raw["touches"]]
    return lead(
        id=raw["id"],
        created_at=raw["created_at"],
        first_name=raw["first_name"],
        last_name=raw["last_name"],
        email=raw["email"],
        company=raw["company"],
        country=raw["country"],
        tags=raw["tags"],
        first_touch=touches[0],
        touches=touches,
    )


# Built once, as leadflow does (json.dumps/loads with options build one per call).
ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
DECODER = json.JSONDecoder()


def hand_dump(lead: HLead) -> str:
    return ENCODER.encode(lead.to_dict())


def hand_load(text: str) -> HLead:
    return HLead.from_dict(DECODER.decode(text))


# ------------------------------------------------- hand-written, same checks


def _utc(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError("naive datetime")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _strict_time(value: Any) -> datetime:
    if type(value) is not str:
        raise ValueError("expected an ISO 8601 string")
    return datetime.fromisoformat(value)


def _opt_str(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    if value is None or type(value) is str:
        return value
    raise ValueError(f"{key}: expected a string")


def _frozen(self: Any, name: str, value: Any) -> None:
    raise AttributeError(f"{type(self).__name__} is immutable")


class STouch(HTouch):
    __slots__ = ()
    FIELDS = frozenset(("occurred_at", "source", "medium", "campaign", "landing_page"))
    __setattr__ = _frozen

    def __init__(self, *, occurred_at, source=None, medium=None, campaign=None, landing_page=None):
        put = object.__setattr__
        put(self, "occurred_at", _utc(occurred_at))
        put(self, "source", source)
        put(self, "medium", medium)
        put(self, "campaign", campaign)
        put(self, "landing_page", landing_page)

    @classmethod
    def from_dict(cls, d: Any) -> STouch:
        if type(d) is not dict or not cls.FIELDS.issuperset(d):
            raise ValueError("expected a touchpoint object without unknown keys")
        return cls(
            occurred_at=_strict_time(d["occurred_at"]),
            source=_opt_str(d, "source"),
            medium=_opt_str(d, "medium"),
            campaign=_opt_str(d, "campaign"),
            landing_page=_opt_str(d, "landing_page"),
        )


class SLead(HLead):
    __slots__ = ()
    FIELDS = frozenset(
        (
            "id",
            "version",
            "created_at",
            "updated_at",
            "status",
            "marketing_stage",
            "bant",
            "consent",
            "first_name",
            "last_name",
            "email",
            "company",
            "country",
            "product_interests",
            "first_touch",
            "touches",
            "schema",
        )
    )
    __setattr__ = _frozen

    def __init__(
        self,
        *,
        id,
        created_at,
        updated_at=None,
        version=0,
        first_name=None,
        last_name=None,
        email=None,
        company=None,
        country=None,
        tags=frozenset(),
        first_touch=None,
        touches=(),
        status="new",
        marketing_stage="lead",
    ):
        email = _email(email)
        created_at = _utc(created_at)
        updated_at = created_at if updated_at is None else _utc(updated_at)
        if updated_at < created_at:
            raise ValueError("updated_at before created_at")
        if type(version) is not int or version < 0:
            raise ValueError("version must be a non-negative integer")
        if not status.strip():
            raise ValueError("status must not be blank")
        if not marketing_stage.strip():
            raise ValueError("marketing_stage must not be blank")
        put = object.__setattr__
        put(self, "id", id)
        put(self, "version", version)
        put(self, "created_at", created_at)
        put(self, "updated_at", updated_at)
        put(self, "first_name", first_name)
        put(self, "last_name", last_name)
        put(self, "email", email)
        put(self, "company", company)
        put(self, "country", country)
        put(self, "tags", frozenset(tags))
        put(self, "first_touch", first_touch)
        put(self, "touches", tuple(touches))
        put(self, "status", status)
        put(self, "marketing_stage", marketing_stage)

    @classmethod
    def from_dict(cls, d: Any) -> SLead:
        if type(d) is not dict or not cls.FIELDS.issuperset(d) or d.get("schema") != 1:
            raise ValueError("expected a lead document (schema 1) without unknown keys")
        if d.get("bant", {}) != {} or d.get("consent", {}) != {}:
            raise ValueError("this benchmark's leads have empty BANT and consent")
        tags = d.get("product_interests", [])
        if type(tags) is not list or any(type(t) is not str for t in tags):
            raise ValueError("product_interests: expected an array of strings")
        touches = d.get("touches", [])
        if type(touches) is not list:
            raise ValueError("touches: expected an array")
        first = d.get("first_touch")
        ident = d["id"]
        if type(ident) is not str:
            raise ValueError("id: expected a string")
        status = d["status"]
        if type(status) is not str:
            raise ValueError("status: expected a string")
        stage = d["marketing_stage"]
        if type(stage) is not str:
            raise ValueError("marketing_stage: expected a string")
        return cls(
            id=uuid.UUID(ident),
            version=d["version"],
            created_at=_strict_time(d["created_at"]),
            updated_at=_strict_time(d["updated_at"]),
            first_name=_opt_str(d, "first_name"),
            last_name=_opt_str(d, "last_name"),
            email=_opt_str(d, "email"),
            company=_opt_str(d, "company"),
            country=_opt_str(d, "country"),
            tags=tags,
            first_touch=None if first is None else STouch.from_dict(first),
            touches=[STouch.from_dict(t) for t in touches],
            status=status,
            marketing_stage=stage,
        )


def strict_build(raw: dict[str, Any]) -> HLead:
    return hand_build(raw, SLead, STouch)


def strict_load(text: str) -> SLead:
    return SLead.from_dict(DECODER.decode(text))


# ------------------------------------------------------------------ pydantic


def pydantic_models() -> tuple[Any, Callable[[dict[str, Any]], Any]] | None:
    try:
        from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints
    except ImportError:
        return None

    # pydantic-core's regex engine anchors with ^ and $ (it has no \Z).
    anchored = "^" + EMAIL.pattern.removesuffix("\\Z") + "$"
    Email = Annotated[str, StringConstraints(strip_whitespace=True, pattern=anchored)]

    class PTouch(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        occurred_at: AwareDatetime
        source: Optional[str] = None  # noqa: UP045 - evaluated by pydantic at runtime
        medium: Optional[str] = None  # noqa: UP045
        campaign: Optional[str] = None  # noqa: UP045
        landing_page: Optional[str] = None  # noqa: UP045

    class PLead(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")
        id: uuid.UUID
        version: int = 0
        created_at: AwareDatetime
        updated_at: AwareDatetime
        status: str = "new"
        marketing_stage: str = "lead"
        bant: dict[str, Any] = {}
        consent: dict[str, Any] = {}
        first_name: Optional[str] = None  # noqa: UP045
        last_name: Optional[str] = None  # noqa: UP045
        email: Optional[Email] = None  # noqa: UP045
        company: Optional[str] = None  # noqa: UP045
        country: Optional[str] = None  # noqa: UP045
        product_interests: frozenset[str] = frozenset()
        first_touch: Optional[PTouch] = None  # noqa: UP045
        touches: tuple[PTouch, ...] = ()
        schema_: int = 1

    def build(raw: dict[str, Any]) -> Any:
        touches = [PTouch(**t) for t in raw["touches"]]
        return PLead(
            id=raw["id"],
            created_at=raw["created_at"],
            updated_at=raw["created_at"],
            first_name=raw["first_name"],
            last_name=raw["last_name"],
            email=raw["email"],
            company=raw["company"],
            country=raw["country"],
            product_interests=raw["tags"],
            first_touch=touches[0],
            touches=touches,
        )

    return PLead, build


# ------------------------------------------------------------------- harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, repeat = args.leads, args.repeat
    raws = [raw_lead(i) for i in range(n)]

    rates: dict[str, dict[str, float]] = {}

    def measure(
        name: str,
        build: Callable[[Any], Any],
        dump: Callable[[Any], str],
        load: Callable[[str], Any],
    ) -> list[str]:
        """Time the three steps; keep only 1,000 documents, so as not to burden the next."""
        t_build, objs = best_of(repeat, lambda: [build(r) for r in raws])
        t_dump, texts = best_of(repeat, lambda: [dump(o) for o in objs])
        t_load, back = best_of(repeat, lambda: [load(t) for t in texts])
        assert len(back) == n
        if name == "leadflow":
            assert back == objs, "the leadflow round trip changed the leads"
        rates[name] = {
            "construction": n / t_build,
            "dump": n / t_dump,
            "load": n / t_load,
            "round trip": n / (t_dump + t_load),
        }
        return texts[:1000]

    samples = [
        measure("leadflow", lf_build, lf.to_json, lf_load),
        measure("hand-written, same checks", strict_build, hand_dump, strict_load),
        measure("hand-written, minimal", hand_build, hand_dump, hand_load),
    ]
    for texts in zip(*samples, strict=True):
        assert len({json.dumps(json.loads(t), sort_keys=True) for t in texts}) == 1, texts
    models = pydantic_models()
    if models is not None:
        PLead, p_build = models
        measure(
            "pydantic",
            p_build,
            lambda m: m.model_dump_json(exclude_none=True),
            PLead.model_validate_json,
        )

    print(f"{n:,} leads with 3 touchpoints and 3 tags each, best of {repeat}")
    for figure in ("construction", "dump", "load", "round trip"):
        mine = rates["leadflow"][figure]
        line = f"{figure}: leadflow {mine:,.0f} leads/s"
        for other in ("hand-written, same checks", "hand-written, minimal", "pydantic"):
            if other in rates:
                theirs = rates[other][figure]
                line += f"; {other} {theirs:,.0f} leads/s (ratio {mine / theirs:.2f})"
        print(line)
    for other in ("hand-written, same checks", "hand-written, minimal"):
        ratio = rates["leadflow"]["round trip"] / rates[other]["round trip"]
        target = " (the target)" if other.endswith("same checks") else " (for reference)"
        verdict = "met" if ratio >= 1 else "NOT met"
        print(f"round trip >= {other}{target}: {verdict} (leadflow/{other} {ratio:.2f})")
    if "pydantic" in rates:
        slower = rates["pydantic"]["round trip"] / rates["leadflow"]["round trip"]
        verdict = "met" if slower <= 1.25 else "NOT met"
        print(
            f"target round trip within 1.25x of pydantic: {verdict} "
            f"(pydantic/leadflow {slower:.2f})"
        )
    else:
        print("pydantic not installed: pip install -r benchmarks/requirements.txt")


if __name__ == "__main__":
    main()
