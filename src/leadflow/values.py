"""Value objects: identifiers, money, probabilities, contact points, touchpoints, consent, BANT.

Values are immutable (``attrs`` frozen classes), compare by content and check their
own invariants when built: an invalid value cannot exist.  A failed check raises
:class:`~leadflow.errors.ValidationError` naming the field, the value and the reason.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import attrs

from leadflow._currencies import MINOR_UNITS
from leadflow._fields import FrozenMap, aware, fail, finite_decimal, non_blank, to_tuple, to_utc
from leadflow.errors import ROOT, CurrencyMismatch, ValidationError

__all__ = [
    "BANT",
    "AccountId",
    "ActivityId",
    "Assessment",
    "Authority",
    "CampaignId",
    "Consent",
    "ConsentRecord",
    "ContactId",
    "EmailAddress",
    "EntityId",
    "ExchangeRates",
    "LeadId",
    "Money",
    "Need",
    "OpportunityId",
    "PhoneNumber",
    "PostalAddress",
    "Probability",
    "ProductId",
    "StrEnum",
    "Touchpoint",
    "company_key",
    "currency_minor_units",
    "website_domain",
]

IdT = TypeVar("IdT", bound="EntityId")
A = TypeVar("A")


class StrEnum(str, Enum):
    """An enumeration whose members are strings and print as their value."""

    def __str__(self) -> str:
        return str(self.value)


# ============================================================================ ids


def uuid7_of(millis: int, random_bits: int) -> uuid.UUID:
    """The version 7 UUID (RFC 9562) of a Unix time in milliseconds and 74 random bits.

    The time fills the first 48 bits, then come the version, 12 of the random bits,
    the variant and the other 62.  :class:`EntityId` makes its ids with the clock and
    the operating system's randomness; deterministic data (a seeded generator) can make
    them from its own time and bits.
    """
    value = (
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76
        | ((random_bits >> 62) & 0xFFF) << 64
        | 0b10 << 62
        | random_bits & 0x3FFF_FFFF_FFFF_FFFF
    )
    return uuid.UUID(int=value)


def _uuid7() -> uuid.UUID:
    """A version 7 UUID for now, from the clock and the operating system's randomness.

    Ids made this way sort by creation time, which keeps database indexes compact and
    makes keyset pagination by id follow insertion order.
    """
    return uuid7_of(time.time_ns() // 1_000_000, int.from_bytes(os.urandom(10), "big") >> 6)


@attrs.frozen(kw_only=True, order=True, repr=False)
class EntityId:
    """The identity of an entity: a UUID tagged with the kind of entity it names.

    Each entity has its own id class (:class:`LeadId`, :class:`AccountId`, ...), so an
    account id cannot be passed where a lead id is expected, and ``str()`` reads like
    ``lead_0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b``.
    """

    #: The kind of entity, used as the prefix of ``str()``.
    kind: ClassVar[str] = "entity"

    value: uuid.UUID = attrs.field(validator=attrs.validators.instance_of(uuid.UUID))

    @classmethod
    def new(cls: type[IdT]) -> IdT:
        """A fresh, time-ordered id (UUID version 7)."""
        return cls(value=_uuid7())

    @classmethod
    def parse(cls: type[IdT], text: object) -> IdT:
        """Read an id from ``str(id)`` (``lead_<uuid>``) or from a bare UUID string."""
        if isinstance(text, str):
            body = text
            prefix, sep, rest = text.partition("_")
            if sep:
                if prefix != cls.kind:
                    reason = (
                        f"has the prefix {prefix!r}; a {cls.__name__} starts with '{cls.kind}_'"
                    )
                    raise ValidationError.single(ROOT, text, reason, subject=cls.__name__)
                body = rest
            try:
                return cls(value=uuid.UUID(body))
            except ValueError:
                pass
        raise ValidationError.single(
            ROOT, text, f"is not a {cls.__name__} (expected a UUID)", subject=cls.__name__
        )

    def __str__(self) -> str:
        return f"{self.kind}_{self.value}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}.parse({str(self)!r})"


@attrs.frozen(kw_only=True, order=True, repr=False)
class LeadId(EntityId):
    """Identifies a :class:`~leadflow.leads.Lead`."""

    kind: ClassVar[str] = "lead"


@attrs.frozen(kw_only=True, order=True, repr=False)
class AccountId(EntityId):
    """Identifies an :class:`~leadflow.accounts.Account`."""

    kind: ClassVar[str] = "account"


@attrs.frozen(kw_only=True, order=True, repr=False)
class ContactId(EntityId):
    """Identifies a :class:`~leadflow.contacts.Contact`."""

    kind: ClassVar[str] = "contact"


@attrs.frozen(kw_only=True, order=True, repr=False)
class OpportunityId(EntityId):
    """Identifies an :class:`~leadflow.opportunities.Opportunity`."""

    kind: ClassVar[str] = "opportunity"


@attrs.frozen(kw_only=True, order=True, repr=False)
class CampaignId(EntityId):
    """Identifies a :class:`~leadflow.campaigns.Campaign`."""

    kind: ClassVar[str] = "campaign"


@attrs.frozen(kw_only=True, order=True, repr=False)
class ActivityId(EntityId):
    """Identifies an :class:`~leadflow.activities.Activity`."""

    kind: ClassVar[str] = "activity"


@attrs.frozen(kw_only=True, order=True, repr=False)
class ProductId(EntityId):
    """Identifies a :class:`~leadflow.products.Product`."""

    kind: ClassVar[str] = "product"


# ========================================================================== money


def currency_minor_units(code: str) -> int:
    """Number of digits after the decimal separator in ISO 4217 currency ``code``.

    Raises :class:`~leadflow.errors.ValidationError` for a code that is not an active
    ISO 4217 currency.
    """
    try:
        return MINOR_UNITS[code]
    except (KeyError, TypeError):
        raise ValidationError.single(
            "currency", code, "is not an active ISO 4217 currency code", subject="Money"
        ) from None


def _known_currency(inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in MINOR_UNITS:
        fail(inst, attribute.name, value, "is not an active ISO 4217 currency code")


def _decimal_of(value: object, *, what: str) -> Decimal:
    """A finite Decimal from an int, Decimal, str, float (by its shortest repr) or Probability."""
    if isinstance(value, Probability):
        value = value.value
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number, not a bool")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, (int, str, Decimal)):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValidationError.single(ROOT, value, "is not a number") from None
        if not result.is_finite():
            raise ValidationError.single(ROOT, value, "must be a finite number")
        return result
    raise TypeError(f"{what} must be a number, not {type(value).__name__}")


@attrs.frozen(kw_only=True, order=False)
class Money:
    """An exact amount in one ISO 4217 currency.

    Amounts are :class:`~decimal.Decimal` and are kept exactly as computed;
    :meth:`rounded` rounds to the currency's minor unit when you need to.  Adding,
    subtracting and comparing work only within one currency; mixing currencies raises
    :class:`~leadflow.errors.CurrencyMismatch`.  Equality across currencies is simply
    ``False``.  ``sum()`` works on a list of amounts in one currency.
    """

    amount: Decimal = attrs.field(validator=finite_decimal)
    currency: str = attrs.field(validator=_known_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str | float, currency: str) -> Money:
        """Build from a number or numeric string; the currency code may be any case.

        A float is read by its shortest representation, so ``Money.of(19.99, "usd")``
        is exactly ``19.99 USD``.
        """
        code = currency.upper() if isinstance(currency, str) else currency
        try:
            number = _decimal_of(amount, what="amount")
        except ValidationError as error:
            raise error.under("amount", subject="Money") from None
        return cls(amount=number, currency=code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(amount=Decimal(0), currency=currency)

    @property
    def minor_units(self) -> int:
        """Digits after the decimal separator in this currency (2 for EUR, 0 for JPY)."""
        return MINOR_UNITS[self.currency]

    def rounded(self, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to the currency's minor unit (banker's rounding unless told otherwise)."""
        exponent = Decimal(1).scaleb(-self.minor_units)
        return Money(
            amount=self.amount.quantize(exponent, rounding=rounding), currency=self.currency
        )

    def allocate(self, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """Split into parts proportional to ``ratios`` without losing a minor unit.

        The parts are in minor units and add up exactly to this amount rounded to the
        currency; leftover minor units go to the parts with the largest remainders.
        """
        if not ratios or any(r < 0 for r in ratios) or sum(ratios) <= 0:
            raise ValidationError.single(
                "ratios", list(ratios), "must be non-negative with a positive sum", subject="Money"
            )
        unit = Decimal(1).scaleb(-self.minor_units)
        total_units = int(self.rounded().amount / unit)
        weights = [Decimal(r) for r in ratios]
        whole = sum(weights)
        exact = [total_units * w / whole for w in weights]
        parts = [int(x) for x in exact]  # truncates toward zero, also for negatives
        leftover = total_units - sum(parts)
        step = 1 if leftover >= 0 else -1
        order = sorted(range(len(exact)), key=lambda i: abs(exact[i] - parts[i]), reverse=True)
        for i in order[: abs(leftover)]:
            parts[i] += step
        return tuple(Money(amount=p * unit, currency=self.currency) for p in parts)

    def _same(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(left=self.currency, right=other.currency, operation=operation)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __radd__(self, other: Money | int) -> Money:
        # Lets sum([...]) start from its default 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(amount=abs(self.amount), currency=self.currency)

    def __mul__(self, factor: Decimal | int | float | Probability) -> Money:
        if isinstance(factor, Money):
            return NotImplemented
        return Money(
            amount=self.amount * _decimal_of(factor, what="factor"), currency=self.currency
        )

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int | float | Money) -> Any:
        if isinstance(divisor, Money):
            self._same(divisor, "divide")
            return self.amount / divisor.amount
        return Money(
            amount=self.amount / _decimal_of(divisor, what="divisor"), currency=self.currency
        )

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "compare")
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _rate(code: str, rate: object) -> Decimal:
    try:
        return _decimal_of(rate, what=f"rates[{code}]")
    except (ValidationError, TypeError):
        raise ValidationError.single(
            f"rates.{code}", rate, "must be a number", subject="ExchangeRates"
        ) from None


def _rates(value: Mapping[str, Decimal | int | str | float]) -> FrozenMap[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValidationError.single("rates", value, "must be a mapping of currency codes to rates")
    return FrozenMap({code: _rate(code, rate) for code, rate in value.items()})


def _check_rates(
    inst: object, attribute: attrs.Attribute[Any], value: Mapping[str, Decimal]
) -> None:
    for code, rate in value.items():
        if code not in MINOR_UNITS:
            fail(inst, f"rates.{code}", code, "is not an active ISO 4217 currency code")
        if rate <= 0:
            fail(inst, f"rates.{code}", rate, "must be greater than 0")


@attrs.frozen(kw_only=True)
class ExchangeRates:
    """Rates that convert amounts into one ``base`` currency.

    ``rates[code]`` is how many units of ``base`` one unit of ``code`` is worth:
    ``ExchangeRates(base="EUR", rates={"USD": "0.92"})`` turns 100 USD into 92 EUR.
    The base converts to itself at 1.  Converting a currency without a rate raises
    :class:`~leadflow.errors.CurrencyMismatch`: leadflow never guesses a rate.
    """

    base: str = attrs.field(validator=_known_currency)
    rates: Mapping[str, Decimal] = attrs.field(converter=_rates, validator=_check_rates)

    def __attrs_post_init__(self) -> None:
        own = self.rates.get(self.base)
        if own is not None and own != 1:
            fail(self, f"rates.{self.base}", own, "the base currency converts to itself at 1")

    def rate(self, currency: str) -> Decimal:
        """Units of ``base`` per unit of ``currency``."""
        if currency == self.base:
            return Decimal(1)
        try:
            return self.rates[currency]
        except KeyError:
            raise CurrencyMismatch(
                left=currency,
                right=self.base,
                operation="convert between",
                reason=f"the exchange rates have no rate for {currency}",
            ) from None

    def convert(self, money: Money) -> Money:
        """``money`` in the base currency (unrounded)."""
        if money.currency == self.base:
            return money
        return Money(amount=money.amount * self.rate(money.currency), currency=self.base)


# ==================================================================== probability


def _to_float(value: float | Decimal) -> float:
    if isinstance(value, Decimal) or type(value) is int:
        return float(value)
    return value  # a float, or something the validator will refuse


def _unit_interval(inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not isinstance(value, float):
        fail(inst, attribute.name, value, "is not a number")
    if not (0.0 <= value <= 1.0):  # also refuses NaN
        fail(inst, attribute.name, value, "must be between 0 and 1")


@attrs.frozen(kw_only=True, order=True)
class Probability:
    """A probability: a float between 0 and 1 inclusive.

    ``float(p)`` gives the number; ``str(p)`` reads as a percentage.
    """

    value: float = attrs.field(converter=_to_float, validator=_unit_interval)

    @classmethod
    def percent(cls, percent: float | Decimal) -> Probability:
        """Build from a percentage: ``Probability.percent(60)`` is 0.6."""
        return cls(value=float(percent) / 100.0)

    def complement(self) -> Probability:
        """``1 - p``."""
        return Probability(value=1.0 - self.value)

    def __float__(self) -> float:
        return self.value

    def __str__(self) -> str:
        return f"{self.value * 100:g}%"


# ================================================================ contact points

_WHITESPACE = re.compile(r"\s")
_ATOM_CHARS = re.compile(r"[\w!#$%&'*+/=?^`{|}~-]+\Z")
_LABEL = re.compile(r"(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?\Z")


def _domain_problem(domain: str) -> str | None:
    if not domain:
        return "has an empty domain"
    if len(domain) > 253:
        return "has a domain longer than 253 characters"
    labels = domain.split(".")
    if len(labels) < 2:
        return f"has a domain without a dot ({domain!r})"
    for label in labels:
        if not label:
            return f"has an empty label in its domain ({domain!r})"
        if not _LABEL.match(label):
            return f"has an invalid domain label {label!r}"
    if labels[-1].isdigit():
        return f"has a numeric top-level domain ({domain!r})"
    return None


def _email_problem(text: str) -> str | None:
    if _WHITESPACE.search(text):
        return "contains whitespace"
    local, at, domain = text.rpartition("@")
    if not at:
        return "has no '@'"
    if not local:
        return "has nothing before the '@'"
    if len(local) > 64:
        return "has a local part longer than 64 characters"
    if len(text) > 254:
        return "is longer than 254 characters"
    for atom in local.split("."):
        if not atom:
            return "has a leading, trailing or double dot before the '@'"
        if not _ATOM_CHARS.match(atom):
            return f"has characters not allowed before the '@' ({local!r})"
    return _domain_problem(domain)


# The common case (ASCII, no quoting) in one regular expression; anything it does not
# match goes through the detailed check, which accepts the rest and explains refusals.
_COMMON_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z"
)


def _normalise_email(value: str) -> str:
    if not isinstance(value, str):
        raise ValidationError.single(ROOT, value, "is not a string", subject="EmailAddress")
    text = value.strip()
    if len(text) <= 254 and _COMMON_EMAIL.match(text):
        local, _, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}"
    problem = _email_problem(text)
    if problem:
        raise ValidationError.single(
            ROOT, value, f"is not an e-mail address: it {problem}", subject="EmailAddress"
        )
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


@attrs.frozen(kw_only=True, order=True)
class EmailAddress:
    """An e-mail address whose syntax has been checked.

    The domain is lower-cased (domains are case-insensitive); the local part is kept
    as written because, strictly, it may be case-sensitive.  Use :attr:`key` to match
    addresses the way mail providers do in practice.  The check follows the
    ``addr-spec`` of RFC 5322 without its obsolete and quoted forms, and accepts
    internationalised addresses (RFC 6531).
    """

    value: str = attrs.field(converter=_normalise_email)

    @classmethod
    def coerce(cls, value: EmailAddress | str) -> EmailAddress:
        """Return ``value`` if it is an address already, else parse it."""
        return value if isinstance(value, EmailAddress) else cls(value=value)

    @property
    def local(self) -> str:
        """The part before the ``@``."""
        return self.value.rpartition("@")[0]

    @property
    def domain(self) -> str:
        """The part after the ``@``, lower-cased."""
        return self.value.rpartition("@")[2]

    @property
    def key(self) -> str:
        """A case-insensitive key for matching duplicates (the whole address case-folded)."""
        return self.value.casefold()

    def __str__(self) -> str:
        return self.value


_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d{1,7})\s*\Z", re.IGNORECASE)
_PHONE_BODY = re.compile(r"\+?[\d\s().\-/]+\Z")


def _phone_parts(raw: str) -> tuple[str, str | None]:
    match = _EXTENSION.search(raw)
    if match:
        return raw[: match.start()], match.group(1)
    return raw, None


def _check_phone(inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        fail(inst, ROOT, value, "is not a phone number: it is empty")
    body, _ = _phone_parts(value.strip())
    if not _PHONE_BODY.match(body.strip()):
        fail(
            inst,
            ROOT,
            value,
            "is not a phone number: only digits, spaces, + ( ) . - / and an extension "
            "such as 'ext. 12' are allowed",
        )
    digits = sum(c.isdigit() for c in body)
    if not 3 <= digits <= 17:
        fail(inst, ROOT, value, f"is not a phone number: it has {digits} digits (3 to 17 expected)")


def _strip(value: str) -> str:
    return value.strip() if isinstance(value, str) else value


@attrs.frozen(kw_only=True)
class PhoneNumber:
    """A phone number kept as written, with a digits-only form for matching.

    ``raw`` is the number as the person gave it (surrounding spaces removed);
    :attr:`digits` has only its digits, without any extension.  Full E.164
    normalisation, which needs a country's numbering plan, is left to a later release.
    """

    raw: str = attrs.field(converter=_strip, validator=_check_phone)

    @classmethod
    def coerce(cls, value: PhoneNumber | str) -> PhoneNumber:
        """Return ``value`` if it is a phone number already, else parse it."""
        return value if isinstance(value, PhoneNumber) else cls(raw=value)

    @property
    def digits(self) -> str:
        """The digits of the number, without separators or extension."""
        body, _ = _phone_parts(self.raw)
        return "".join(c for c in body if c.isdigit())

    @property
    def extension(self) -> str | None:
        """The extension, if one was written (``x12``, ``ext. 12``, ``#12``)."""
        return _phone_parts(self.raw)[1]

    @property
    def international(self) -> bool:
        """Whether the number was written with its country code (``+`` or ``00``)."""
        return self.raw.startswith(("+", "00"))

    def __str__(self) -> str:
        return self.raw


@attrs.frozen(kw_only=True)
class PostalAddress:
    """A postal address; every part is optional but at least one must be given.

    ``country`` is free text as captured (a name or an ISO 3166 code).
    """

    lines: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def __attrs_post_init__(self) -> None:
        parts = (*self.lines, self.city, self.region, self.postal_code, self.country)
        if not any(p and p.strip() for p in parts):
            fail(self, ROOT, self, "is empty: give at least a line, city, region, code or country")

    def __str__(self) -> str:
        head = ", ".join(self.lines)
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (head, place, self.region, self.country) if p)


def website_domain(text: str) -> str:
    """The registrable host of a website given as a URL or a bare domain.

    Lower-cases it and removes the scheme, credentials, port, path, a trailing dot
    and a leading ``www.``: ``"https://www.Acme.com/about"`` gives ``"acme.com"``.
    Raises :class:`~leadflow.errors.ValidationError` if no valid domain remains.
    """
    if not isinstance(text, str):
        raise ValidationError.single(ROOT, text, "is not a string", subject="website")
    candidate = text.strip()
    if "//" not in candidate:
        candidate = "//" + candidate
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        host = ""
    host = host.rstrip(".").lower()
    if host.startswith("www.") and host.count(".") >= 2:
        host = host[4:]
    problem = _domain_problem(host)
    if problem:
        raise ValidationError.single(
            ROOT, text, f"is not a website: it {problem}", subject="website"
        )
    return host


_LEGAL_FORMS = frozenset(
    [
        "ab",
        "ag",
        "as",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "kk",
        "limited",
        "llc",
        "llp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
    ]
)


def company_key(name: str) -> str:
    """A company name reduced for matching: ``"ACME, Inc."`` and ``"Acme"`` give ``"acme"``.

    Folds case and accents, reads ``&`` as ``and``, drops punctuation, a leading
    ``the`` and trailing legal forms (Inc, Ltd, GmbH, S.A., ...).  A name made only
    of such words keeps them, and one with no letters or digits is kept as written
    (case folded), so the key is never empty for a non-blank name.
    """
    if not isinstance(name, str):
        raise ValidationError.single(ROOT, name, "is not a string", subject="company name")
    text = unicodedata.normalize("NFKD", name.casefold().replace("&", " and "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    # Dots join initials ("S.A." is "sa"); other punctuation separates words.
    text = text.replace(".", "")
    words = "".join(c if c.isalnum() else " " for c in text).split()
    if not words:  # nothing but punctuation: match it as written
        return " ".join(name.casefold().split())
    kept = list(words)
    if len(kept) > 1 and kept[0] == "the":
        kept.pop(0)
    while len(kept) > 1 and kept[-1] in _LEGAL_FORMS:
        kept.pop()
    return " ".join(kept)


# ==================================================================== touchpoints


@attrs.frozen(kw_only=True)
class Touchpoint:
    """One contact between a prospect and a marketing or sales effort.

    It holds what marketing needs to credit the effort that produced a lead: the
    source (``google``, ``newsletter``, ``partner-x``), the medium (``cpc``,
    ``email``, ``organic``), the campaign (as a :class:`CampaignId` when it is known
    and as the raw ``utm_campaign`` text as captured), the ad code
    (``utm_content`` or an ad id), the search term, the referrer and the landing
    page, and when it happened.
    """

    occurred_at: datetime = attrs.field(converter=to_utc, validator=aware)
    source: str | None = None
    medium: str | None = None
    campaign_id: CampaignId | None = None
    campaign: str | None = None
    ad_code: str | None = None
    term: str | None = None
    referrer: str | None = None
    landing_page: str | None = None

    @classmethod
    def from_url(
        cls,
        landing_page: str,
        *,
        occurred_at: datetime,
        referrer: str | None = None,
        campaign_id: CampaignId | None = None,
    ) -> Touchpoint:
        """Capture a touchpoint from a landing-page URL and its UTM parameters.

        ``utm_source``, ``utm_medium``, ``utm_campaign``, ``utm_content`` (the ad
        code) and ``utm_term`` are read from the query string.  A Google Ads click id
        (``gclid``) without UTM parameters counts as source ``google``, medium
        ``cpc``, as Google Analytics reads it.
        """
        query = parse_qs(urlsplit(landing_page).query)

        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        source, medium = first("utm_source"), first("utm_medium")
        if source is None and medium is None and first("gclid"):
            source, medium = "google", "cpc"
        return cls(
            occurred_at=occurred_at,
            source=source,
            medium=medium,
            campaign_id=campaign_id,
            campaign=first("utm_campaign"),
            ad_code=first("utm_content"),
            term=first("utm_term"),
            referrer=referrer,
            landing_page=landing_page,
        )


# ======================================================================== consent


@attrs.frozen(kw_only=True)
class ConsentRecord:
    """A person's decision on one kind of contact, and when it was made.

    ``given`` is ``True`` when the person gave it and ``False`` when they withdrew
    it; ``source`` says how it was captured (``"web form"``, ``"call 2026-03-02"``).
    For ``do_not_contact``, ``given`` means the request not to be contacted stands.
    """

    given: bool
    at: datetime = attrs.field(converter=to_utc, validator=aware)
    source: str | None = None


ConsentChannel = Literal["email", "phone", "do_not_contact"]


@attrs.frozen(kw_only=True)
class Consent:
    """What a person agreed to: e-mail, phone, and a do-not-contact request.

    ``None`` means never asked.  :meth:`may_email` and :meth:`may_call` answer the
    practical question; ``require_opt_in=False`` applies an opt-out regime (contact
    allowed unless withdrawn), as some jurisdictions permit for business contacts.
    """

    email: ConsentRecord | None = None
    phone: ConsentRecord | None = None
    do_not_contact: ConsentRecord | None = None

    def record(
        self, channel: ConsentChannel, *, given: bool, at: datetime, source: str | None = None
    ) -> Consent:
        """Return a copy with a new decision on ``channel``."""
        if channel not in ("email", "phone", "do_not_contact"):
            raise ValidationError.single(
                "channel",
                channel,
                "must be 'email', 'phone' or 'do_not_contact'",
                subject="Consent",
            )
        entry = ConsentRecord(given=given, at=at, source=source)
        return attrs.evolve(self, **{channel: entry})

    @property
    def blocked(self) -> bool:
        """Whether a do-not-contact request stands."""
        return self.do_not_contact is not None and self.do_not_contact.given

    def may_email(self, *, require_opt_in: bool = True) -> bool:
        """Whether the person may be e-mailed."""
        return not self.blocked and _allows(self.email, require_opt_in)

    def may_call(self, *, require_opt_in: bool = True) -> bool:
        """Whether the person may be phoned."""
        return not self.blocked and _allows(self.phone, require_opt_in)


def _allows(entry: ConsentRecord | None, require_opt_in: bool) -> bool:
    if entry is None:
        return not require_opt_in
    return entry.given


# =========================================================================== BANT


class Authority(StrEnum):
    """How much say a person has in the purchase (the A of BANT)."""

    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    USER = "user"
    NONE = "none"


class Need(StrEnum):
    """How strongly the prospect needs what is sold (the N of BANT)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


@attrs.frozen(kw_only=True)
class Assessment(Generic[A]):
    """One assessed criterion: its value, when it was assessed and on what evidence."""

    value: A
    assessed_at: datetime = attrs.field(converter=to_utc, validator=aware)
    evidence: str | None = attrs.field(default=None, validator=non_blank)


@attrs.frozen(kw_only=True)
class BANT:
    """Budget, Authority, Need and Timeline, the classic sales qualification.

    Each criterion is an :class:`Assessment` or ``None`` when unknown: the budget
    as an amount of money, authority and need as levels, and the timeline as the
    date by which the prospect means to buy.
    """

    budget: Assessment[Money] | None = None
    authority: Assessment[Authority] | None = None
    need: Assessment[Need] | None = None
    timeline: Assessment[date] | None = None

    #: The criteria in their conventional order.
    CRITERIA: ClassVar[tuple[str, ...]] = ("budget", "authority", "need", "timeline")

    @property
    def known(self) -> tuple[str, ...]:
        """The names of the criteria that have been assessed."""
        return tuple(name for name in self.CRITERIA if getattr(self, name) is not None)

    @property
    def unknown(self) -> tuple[str, ...]:
        """The names of the criteria not yet assessed."""
        return tuple(name for name in self.CRITERIA if getattr(self, name) is None)

    @property
    def complete(self) -> bool:
        """Whether all four criteria have been assessed."""
        return not self.unknown
