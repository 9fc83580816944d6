"""Invariants of values, checked on generated inputs."""

from __future__ import annotations

import string
from datetime import datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st

from leadflow import EmailAddress, LeadId, Touchpoint, ValidationError, website_domain
from leadflow.testing import strategies as lfst
from leadflow.values import _COMMON_EMAIL, _email_problem

EMAILISH = st.text(
    st.sampled_from(string.ascii_letters + string.digits + ".-_+@!#'é ()[]\\\"" + "\u00a0"),
    max_size=30,
)


@given(EMAILISH)
@example("a@b.c-")
@example("a@b.-c")
@example("a..b@c.de")
@example("a@b..de")
@example("x" * 65 + "@a.de")
def test_the_fast_email_check_never_accepts_what_the_full_check_refuses(text: str) -> None:
    if _COMMON_EMAIL.match(text) and len(text) <= 254:
        assert _email_problem(text) is None, text


@given(EMAILISH)
def test_email_parsing_accepts_or_refuses_with_a_reason(text: str) -> None:
    try:
        email = EmailAddress(value=text)
    except ValidationError as error:
        assert error.problems[0].reason.startswith("is not an e-mail address: it ")
    else:
        assert email.domain == email.domain.lower()
        assert EmailAddress(value=email.value) == email  # normalising twice changes nothing


@given(lfst.email_addresses())
def test_generated_addresses_are_normalised(email: EmailAddress) -> None:
    assert email.domain == email.domain.lower()
    assert email.key == email.value.casefold()


@given(lfst.entity_ids(LeadId))
def test_ids_read_back_from_their_text(lead_id: LeadId) -> None:
    assert LeadId.parse(str(lead_id)) == lead_id
    assert LeadId.parse(str(lead_id.value)) == lead_id


@given(st.text(max_size=40))
def test_website_domain_returns_a_lower_case_domain_or_refuses(text: str) -> None:
    try:
        domain = website_domain(text)
    except ValidationError:
        return
    assert domain == domain.lower()
    assert "." in domain
    assert "/" not in domain
    assert website_domain(domain) == domain


@given(
    st.datetimes(
        timezones=st.sampled_from(
            [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        )
    )
)
def test_touchpoint_times_keep_their_instant_in_utc(moment: datetime) -> None:
    touch = Touchpoint(occurred_at=moment)
    assert touch.occurred_at == moment
    assert touch.occurred_at.utcoffset() == timedelta(0)
