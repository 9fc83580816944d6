from __future__ import annotations

import pickle
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import attrs
import pytest

from leadflow.errors import CurrencyMismatch, ValidationError
from leadflow.values import (
    BANT,
    AccountId,
    Assessment,
    Authority,
    Consent,
    ContactId,
    EmailAddress,
    ExchangeRates,
    LeadId,
    Money,
    Need,
    PhoneNumber,
    PostalAddress,
    Probability,
    Touchpoint,
    currency_minor_units,
    website_domain,
)

UTC = timezone.utc
T = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def reasons(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [f"{p.path}: {p.reason}" for p in error.value.problems]


# ---------------------------------------------------------------------- ids


class TestIds:
    def test_new_ids_are_unique_version_7_and_sort_by_creation(self) -> None:
        ids = [LeadId.new() for _ in range(200)]
        assert len(set(ids)) == 200
        assert all(i.value.version == 7 for i in ids)
        assert all(i.value.variant == uuid.RFC_4122 for i in ids)
        # The first 48 bits are Unix milliseconds: never decreasing across calls.
        stamps = [i.value.int >> 80 for i in ids]
        assert stamps == sorted(stamps)

    def test_str_is_prefixed_and_parse_reads_it_back(self) -> None:
        lead_id = LeadId(value=uuid.UUID("0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b"))
        assert str(lead_id) == "lead_0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b"
        assert LeadId.parse(str(lead_id)) == lead_id
        assert LeadId.parse("0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b") == lead_id
        assert repr(lead_id) == "LeadId.parse('lead_0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b')"
        assert eval(repr(lead_id)) == lead_id

    def test_an_id_of_another_kind_is_refused_by_name(self) -> None:
        contact_id = ContactId.new()
        with pytest.raises(ValidationError) as error:
            LeadId.parse(str(contact_id))
        assert reasons(error) == ["$: has the prefix 'contact'; a LeadId starts with 'lead_'"]

    @pytest.mark.parametrize("text", ["", "lead_", "lead_xyz", "not-a-uuid", 42, None])
    def test_garbage_is_not_an_id(self, text: object) -> None:
        with pytest.raises(ValidationError, match="LeadId"):
            LeadId.parse(text)  # type: ignore[arg-type]

    def test_ids_of_different_kinds_never_compare_equal(self) -> None:
        value = uuid.uuid4()
        assert LeadId(value=value) != AccountId(value=value)
        assert LeadId(value=value) == LeadId(value=value)
        assert hash(LeadId(value=value)) == hash(LeadId(value=value))

    def test_ids_order_by_their_uuid(self) -> None:
        low, high = LeadId(value=uuid.UUID(int=1)), LeadId(value=uuid.UUID(int=2))
        assert low < high
        assert sorted([high, low]) == [low, high]

    def test_the_value_must_be_a_uuid(self) -> None:
        with pytest.raises(TypeError):
            LeadId(value="0193a4c5-7e21-7c3d-9a8b-1c2d3e4f5a6b")  # type: ignore[arg-type]


# -------------------------------------------------------------------- money


class TestMoney:
    def test_of_reads_numbers_and_strings_exactly(self) -> None:
        assert Money.of("19.99", "usd") == Money(amount=Decimal("19.99"), currency="USD")
        assert Money.of(19.99, "USD").amount == Decimal("19.99")
        assert Money.of(5, "JPY").amount == Decimal(5)

    @pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", "-inf"])
    def test_of_refuses_what_is_not_a_finite_number(self, amount: str) -> None:
        with pytest.raises(ValidationError) as error:
            Money.of(amount, "USD")
        assert error.value.problems[0].path == "amount"

    def test_of_refuses_a_bool(self) -> None:
        with pytest.raises(TypeError):
            Money.of(True, "USD")

    def test_unknown_currency_is_refused(self) -> None:
        with pytest.raises(ValidationError) as error:
            Money(amount=Decimal(1), currency="XYZ")
        assert reasons(error) == ["currency: is not an active ISO 4217 currency code"]
        with pytest.raises(ValidationError):
            Money(amount=Decimal(1), currency="usd")  # codes are upper case; of() normalises

    def test_arithmetic_within_one_currency(self) -> None:
        a, b = Money.of("10.50", "EUR"), Money.of("2.25", "EUR")
        assert a + b == Money.of("12.75", "EUR")
        assert a - b == Money.of("8.25", "EUR")
        assert -a == Money.of("-10.50", "EUR")
        assert abs(-a) == a
        assert +a == a
        assert a * 2 == Money.of("21.00", "EUR")
        assert 2 * a == a * 2
        assert a * Decimal("0.5") == Money.of("5.25", "EUR")
        assert a * Probability(value=0.2) == Money.of("2.1", "EUR")
        assert a / 2 == Money.of("5.25", "EUR")
        assert a / b == Decimal("10.50") / Decimal("2.25")
        assert sum([a, b, b]) == Money.of("15", "EUR")

    @pytest.mark.parametrize(
        "operation",
        [
            lambda a, b: a + b,
            lambda a, b: a - b,
            lambda a, b: a < b,
            lambda a, b: a <= b,
            lambda a, b: a > b,
            lambda a, b: a >= b,
            lambda a, b: a / b,
        ],
    )
    def test_mixing_currencies_raises_currency_mismatch(self, operation) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(CurrencyMismatch) as error:
            operation(Money.of(1, "USD"), Money.of(1, "EUR"))
        assert (error.value.left, error.value.right) == ("USD", "EUR")

    def test_equality_across_currencies_is_false_not_an_error(self) -> None:
        assert Money.of(1, "USD") != Money.of(1, "EUR")
        assert Money.of("1.0", "USD") == Money.of("1.00", "USD")
        assert hash(Money.of("1.0", "USD")) == hash(Money.of("1.00", "USD"))

    def test_comparisons(self) -> None:
        assert Money.of(1, "USD") < Money.of(2, "USD") <= Money.of(2, "USD")
        assert max([Money.of(3, "USD"), Money.of(7, "USD")]) == Money.of(7, "USD")

    def test_money_does_not_mix_with_bare_numbers(self) -> None:
        with pytest.raises(TypeError):
            Money.of(1, "USD") + 1  # type: ignore[operator]
        with pytest.raises(TypeError):
            Money.of(1, "USD") < 1  # type: ignore[operator]  # noqa: B015
        with pytest.raises(TypeError):
            Money.of(1, "USD") * Money.of(1, "USD")  # type: ignore[operator]

    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            ("2.345", "EUR", "2.34"),  # banker's rounding: to even
            ("2.355", "EUR", "2.36"),
            ("1234.5", "JPY", "1234"),
            ("1.23456", "KWD", "1.235"),
            ("1.234567", "CLF", "1.2346"),
        ],
    )
    def test_rounding_to_the_minor_unit(self, amount: str, currency: str, expected: str) -> None:
        assert Money.of(amount, currency).rounded().amount == Decimal(expected)
        assert str(Money.of(amount, currency).rounded().amount) == expected

    def test_rounding_mode_can_be_chosen(self) -> None:
        assert Money.of("2.345", "EUR").rounded(ROUND_HALF_UP).amount == Decimal("2.35")

    def test_minor_units(self) -> None:
        assert currency_minor_units("EUR") == 2
        assert currency_minor_units("JPY") == 0
        assert currency_minor_units("BHD") == 3
        assert Money.zero("JPY").minor_units == 0
        with pytest.raises(ValidationError):
            currency_minor_units("XAU")

    def test_allocate_keeps_every_minor_unit(self) -> None:
        parts = Money.of("100.00", "EUR").allocate([1, 1, 1])
        assert [p.amount for p in parts] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
        assert sum(parts) == Money.of("100.00", "EUR")
        assert sum(Money.of("-10", "USD").allocate([1, 2])) == Money.of("-10", "USD")
        assert Money.of("5", "JPY").allocate([70, 20, 10]) == (
            Money.of(4, "JPY"),
            Money.of(1, "JPY"),
            Money.of(0, "JPY"),
        )

    @pytest.mark.parametrize("ratios", [[], [0, 0], [1, -1]])
    def test_allocate_refuses_ratios_without_a_positive_sum(self, ratios: list[int]) -> None:
        with pytest.raises(ValidationError):
            Money.of(1, "USD").allocate(ratios)

    def test_str(self) -> None:
        assert str(Money.of("1234.50", "USD")) == "1234.50 USD"


# -------------------------------------------------------------- probability


class TestProbability:
    def test_range_is_inclusive(self) -> None:
        assert float(Probability(value=0)) == 0.0
        assert float(Probability(value=1)) == 1.0
        assert Probability(value=Decimal("0.25")).value == 0.25

    @pytest.mark.parametrize("value", [-0.01, 1.01, float("nan"), float("inf")])
    def test_out_of_range_is_refused(self, value: float) -> None:
        with pytest.raises(ValidationError) as error:
            Probability(value=value)
        assert reasons(error) == ["value: must be between 0 and 1"]

    def test_a_string_is_not_a_probability(self) -> None:
        with pytest.raises(ValidationError, match="is not a number"):
            Probability(value="0.5")  # type: ignore[arg-type]

    def test_helpers(self) -> None:
        assert Probability.percent(60) == Probability(value=0.6)
        assert Probability(value=0.25).complement() == Probability(value=0.75)
        assert str(Probability(value=0.6)) == "60%"
        assert Probability(value=0.2) < Probability(value=0.3)


# --------------------------------------------------------------- e-mail


class TestEmailAddress:
    def test_domain_is_lower_cased_and_local_part_kept(self) -> None:
        email = EmailAddress(value="  Jane.Doe@Example.COM ")
        assert email.value == "Jane.Doe@example.com"
        assert (email.local, email.domain) == ("Jane.Doe", "example.com")
        assert email.key == "jane.doe@example.com"
        assert str(email) == "Jane.Doe@example.com"

    @pytest.mark.parametrize(
        "text",
        [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'brien@example.ie",
            "user_name-1@x-y.example",
            "josé@exämple.com",
            "a!#$%&'*+/=?^`{|}~@example.com",
        ],
    )
    def test_valid_addresses(self, text: str) -> None:
        assert EmailAddress(value=text).local == text.rpartition("@")[0]

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("plainaddress", "has no '@'"),
            ("@example.com", "has nothing before the '@'"),
            ("a@b", "has a domain without a dot ('b')"),
            ("a b@example.com", "contains whitespace"),
            ("a..b@example.com", "has a leading, trailing or double dot before the '@'"),
            (".a@example.com", "has a leading, trailing or double dot before the '@'"),
            ("a@-example.com", "has an invalid domain label '-example'"),
            ("a@example-.com", "has an invalid domain label 'example-'"),
            ("a@example..com", "has an empty label in its domain ('example..com')"),
            ("a@example.123", "has a numeric top-level domain ('example.123')"),
            ("a(b)@example.com", "has characters not allowed before the '@' ('a(b)')"),
            ("x" * 65 + "@example.com", "has a local part longer than 64 characters"),
            ("a@" + "b" * 64 + ".com", "has an invalid domain label '" + "b" * 64 + "'"),
            ("", "has no '@'"),
        ],
    )
    def test_invalid_addresses_say_why(self, text: str, reason: str) -> None:
        with pytest.raises(ValidationError) as error:
            EmailAddress(value=text)
        assert reasons(error) == [f"$: is not an e-mail address: it {reason}"]

    def test_coerce(self) -> None:
        email = EmailAddress(value="a@b.co")
        assert EmailAddress.coerce(email) is email
        assert EmailAddress.coerce("a@B.co") == email


# ------------------------------------------------------------------ phone


class TestPhoneNumber:
    def test_kept_as_written_with_a_digits_form(self) -> None:
        phone = PhoneNumber(raw=" +44 (0)20 7946-0958 ext. 12 ")
        assert phone.raw == "+44 (0)20 7946-0958 ext. 12"
        assert phone.digits == "4402079460958"
        assert phone.extension == "12"
        assert phone.international
        assert str(phone) == phone.raw

    @pytest.mark.parametrize(
        ("raw", "digits", "extension"),
        [
            ("555-0100", "5550100", None),
            ("(212) 555 0100 x7", "2125550100", "7"),
            ("0044 20 7946 0958 #305", "00442079460958", "305"),
            ("030/1234567", "0301234567", None),
        ],
    )
    def test_forms(self, raw: str, digits: str, extension: str | None) -> None:
        phone = PhoneNumber(raw=raw)
        assert (phone.digits, phone.extension) == (digits, extension)

    @pytest.mark.parametrize(
        ("raw", "fragment"),
        [
            ("", "it is empty"),
            ("  ", "it is empty"),
            ("call me", "only digits"),
            ("12", "it has 2 digits"),
            ("1" * 18, "it has 18 digits"),
            ("555-0100; DROP", "only digits"),
        ],
    )
    def test_invalid_numbers_say_why(self, raw: str, fragment: str) -> None:
        with pytest.raises(ValidationError, match=fragment):
            PhoneNumber(raw=raw)


# --------------------------------------------------------------- addresses


def test_postal_address_needs_one_part_and_prints_naturally() -> None:
    address = PostalAddress(
        lines=["1 Main St", "Suite 2"], city="Springfield", postal_code="12345", country="US"
    )
    assert address.lines == ("1 Main St", "Suite 2")
    assert str(address) == "1 Main St, Suite 2, 12345 Springfield, US"
    with pytest.raises(ValidationError, match="is empty"):
        PostalAddress()
    with pytest.raises(ValidationError, match="is empty"):
        PostalAddress(city=" ")


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.co.uk", "acme.co.uk"),
        ("http://user:pw@shop.acme.com:8080/x?y=1", "shop.acme.com"),
        ("ACME.COM.", "acme.com"),
        ("www.io", "www.io"),
    ],
)
def test_website_domain(text: str, domain: str) -> None:
    assert website_domain(text) == domain


@pytest.mark.parametrize("text", ["", "not a site", "http://", "localhost", "https://1.2.3.4"])
def test_website_domain_refuses_what_has_no_domain(text: str) -> None:
    with pytest.raises(ValidationError, match="is not a website"):
        website_domain(text)


# -------------------------------------------------------------- touchpoints


class TestTouchpoint:
    def test_times_are_kept_in_utc(self) -> None:
        paris = timezone(timedelta(hours=1))
        touch = Touchpoint(occurred_at=datetime(2026, 3, 2, 10, 30, tzinfo=paris))
        assert touch.occurred_at == T
        assert touch.occurred_at.tzinfo is UTC

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(ValidationError) as error:
            Touchpoint(occurred_at=datetime(2026, 3, 2, 9, 30))
        assert reasons(error) == ["occurred_at: is a naive datetime; give it a time zone"]

    def test_from_url_reads_utm_parameters(self) -> None:
        url = (
            "https://example.com/pricing?utm_source=google&utm_medium=cpc"
            "&utm_campaign=spring-sale&utm_content=ad-42&utm_term=crm+software"
        )
        touch = Touchpoint.from_url(url, occurred_at=T, referrer="https://www.google.com/")
        assert (touch.source, touch.medium, touch.campaign, touch.ad_code, touch.term) == (
            "google",
            "cpc",
            "spring-sale",
            "ad-42",
            "crm software",
        )
        assert touch.landing_page == url
        assert touch.referrer == "https://www.google.com/"

    def test_from_url_reads_a_google_click_id_as_paid_search(self) -> None:
        touch = Touchpoint.from_url("https://example.com/?gclid=abc", occurred_at=T)
        assert (touch.source, touch.medium) == ("google", "cpc")
        plain = Touchpoint.from_url("https://example.com/", occurred_at=T)
        assert (plain.source, plain.medium, plain.campaign) == (None, None, None)


# ------------------------------------------------------------------ consent


class TestConsent:
    def test_unknown_consent_means_no_under_opt_in_and_yes_under_opt_out(self) -> None:
        consent = Consent()
        assert not consent.may_email()
        assert consent.may_email(require_opt_in=False)
        assert not consent.may_call()

    def test_given_then_withdrawn(self) -> None:
        given = Consent().record("email", given=True, at=T, source="web form")
        assert given.may_email()
        assert given.email is not None
        assert given.email.source == "web form"
        withdrawn = given.record("email", given=False, at=T + timedelta(days=3))
        assert not withdrawn.may_email()
        assert not withdrawn.may_email(require_opt_in=False)
        assert given.may_email(), "recording returns a new value"

    def test_do_not_contact_overrides_everything(self) -> None:
        consent = (
            Consent()
            .record("email", given=True, at=T)
            .record("phone", given=True, at=T)
            .record("do_not_contact", given=True, at=T)
        )
        assert consent.blocked
        assert not consent.may_email()
        assert not consent.may_call(require_opt_in=False)
        lifted = consent.record("do_not_contact", given=False, at=T + timedelta(days=1))
        assert lifted.may_email()
        assert lifted.may_call()

    def test_unknown_channel_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="channel"):
            Consent().record("fax", given=True, at=T)  # type: ignore[arg-type]


# --------------------------------------------------------------------- BANT


def test_bant_reports_what_is_known() -> None:
    bant = BANT(
        budget=Assessment(value=Money.of(50_000, "EUR"), assessed_at=T, evidence="CFO on call"),
        authority=Assessment(value=Authority.DECISION_MAKER, assessed_at=T),
        timeline=Assessment(value=date(2026, 6, 30), assessed_at=T),
    )
    assert bant.known == ("budget", "authority", "timeline")
    assert bant.unknown == ("need",)
    assert not bant.complete
    full = attrs.evolve(bant, need=Assessment(value=Need.HIGH, assessed_at=T))
    assert full.complete
    assert BANT().unknown == BANT.CRITERIA
    assert str(Authority.DECISION_MAKER) == "decision_maker"


def test_values_pickle() -> None:
    values = [
        LeadId.new(),
        Money.of("1.5", "EUR"),
        Probability(value=0.5),
        EmailAddress(value="a@b.co"),
        PhoneNumber(raw="555-0100"),
        Touchpoint(occurred_at=T, source="google"),
        Consent().record("email", given=True, at=T),
        BANT(need=Assessment(value=Need.LOW, assessed_at=T)),
    ]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value


class TestExchangeRates:
    def test_converts_into_the_base_at_the_given_rate(self) -> None:
        rates = ExchangeRates(base="EUR", rates={"USD": "0.92", "GBP": 1.17})
        assert rates.convert(Money.of(100, "USD")) == Money.of("92.00", "EUR")
        assert rates.convert(Money.of("10.5", "GBP")) == Money.of("12.285", "EUR")
        assert rates.rate("GBP") == Decimal("1.17")  # a float is read by its shortest form
        assert rates.rate("EUR") == 1
        euros = Money.of(5, "EUR")
        assert rates.convert(euros) is euros

    def test_a_currency_without_a_rate_is_a_mismatch(self) -> None:
        rates = ExchangeRates(base="EUR", rates={"USD": "0.92"})
        with pytest.raises(
            CurrencyMismatch,
            match="cannot convert between JPY and EUR: the exchange rates have no rate for JPY",
        ):
            rates.convert(Money.of(1, "JPY"))

    @pytest.mark.parametrize(
        ("rates", "path", "reason"),
        [
            ({"USD": "-1"}, "rates.USD", "must be greater than 0"),
            ({"USD": "x"}, "rates.USD", "must be a number"),
            ({"XYZ": "1"}, "rates.XYZ", "is not an active ISO 4217 currency code"),
            ({"EUR": "2"}, "rates.EUR", "converts to itself at 1"),
            (["USD"], "rates", "must be a mapping"),
        ],
    )
    def test_bad_rates_name_the_currency(self, rates: object, path: str, reason: str) -> None:
        with pytest.raises(ValidationError, match=reason) as caught:
            ExchangeRates(base="EUR", rates=rates)  # type: ignore[arg-type]
        assert caught.value.problems[0].path == path

    def test_the_base_must_be_a_currency(self) -> None:
        with pytest.raises(ValidationError, match="base"):
            ExchangeRates(base="EURO", rates={})


def test_uuid7_of_lays_out_time_version_and_random_bits() -> None:
    from leadflow.values import uuid7_of

    bits = (0xABC << 62) | 0x1234_5678_9ABC_DEF0
    value = uuid7_of(0x0123_4567_89AB, bits)
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert value.int >> 80 == 0x0123_4567_89AB
    assert (value.int >> 64) & 0xFFF == 0xABC
    assert value.int & 0x3FFF_FFFF_FFFF_FFFF == 0x1234_5678_9ABC_DEF0
    assert uuid7_of(1, 0) < uuid7_of(2, 0)  # later times sort later
