from __future__ import annotations

import pickle

import pytest

from leadflow.errors import (
    MISSING,
    ROOT,
    ConcurrencyConflict,
    CurrencyMismatch,
    DuplicateEntity,
    InvalidConfiguration,
    InvalidTransition,
    LeadflowError,
    ModelNotFitted,
    NotFound,
    Problem,
    ValidationError,
)

ALL_ERRORS = [
    ValidationError(
        [Problem(path="email", value="x", reason="is not an e-mail address")], subject="Lead"
    ),
    NotFound(entity="lead", key="lead_123"),
    InvalidTransition(
        entity="lead",
        entity_id="lead_1",
        state="disqualified",
        action="qualify",
        allowed=["recycle"],
        reason="the lead has no owner",
    ),
    ConcurrencyConflict(entity="lead", entity_id="lead_1", expected=3, stored=4),
    DuplicateEntity(entity="account", key="acme.com", field="website_domain"),
    CurrencyMismatch(left="USD", right="EUR", operation="add"),
    InvalidConfiguration(key="stages[3].probability", reason="must be between 0 and 1", value=1.5),
    ModelNotFitted(model="LogisticModel"),
]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_is_a_leadflow_error_and_survives_pickling(error: LeadflowError) -> None:
    assert isinstance(error, LeadflowError)
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert str(clone) == str(error)
    assert vars(clone) == vars(error)


def test_builtin_bases_let_callers_catch_familiar_kinds() -> None:
    assert isinstance(ValidationError.single("x", 1, "bad"), ValueError)
    assert isinstance(NotFound(entity="lead", key=1), LookupError)
    assert isinstance(CurrencyMismatch(left="USD", right="EUR", operation="add"), ValueError)
    assert isinstance(InvalidConfiguration(key="a", reason="b"), ValueError)


def test_validation_error_lists_every_problem_with_its_path() -> None:
    error = ValidationError(
        [
            Problem(path="touches[2].occurred_at", value="2026-01-01", reason="has no UTC offset"),
            Problem(path="email", value="nope", reason="is not an e-mail address"),
        ],
        subject="Lead",
    )
    assert str(error) == (
        "invalid Lead (2 problems): touches[2].occurred_at: '2026-01-01' has no UTC offset; "
        "email: 'nope' is not an e-mail address"
    )
    assert [p.path for p in error.problems] == ["touches[2].occurred_at", "email"]


def test_a_single_problem_reads_as_one_sentence() -> None:
    assert str(ValidationError.single("version", -1, "must not be negative", subject="Lead")) == (
        "invalid Lead: version: -1 must not be negative"
    )
    assert str(ValidationError.single(ROOT, "x", "is not an e-mail address")) == (
        "invalid value: 'x' is not an e-mail address"
    )
    assert str(ValidationError.single("created_at", MISSING, "is required")) == (
        "invalid value: created_at: is required"
    )


def test_long_values_are_shortened_in_messages_but_kept_whole_on_the_problem() -> None:
    value = "x" * 500
    error = ValidationError.single("note", value, "is too long")
    assert len(str(error)) < 120
    assert error.problems[0].value == value


def test_a_validation_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ValidationError([])


@pytest.mark.parametrize(
    ("prefix", "path", "expected"),
    [
        ("touches[2]", "occurred_at", "touches[2].occurred_at"),
        ("touches", "[2]", "touches[2]"),
        ("email", ROOT, "email"),
        (ROOT, "email", "email"),
        ("", "email", "email"),
    ],
)
def test_problems_move_under_a_prefix(prefix: str, path: str, expected: str) -> None:
    assert Problem(path=path, value=1, reason="r").under(prefix).path == expected


def test_messages_name_what_a_caller_needs() -> None:
    assert str(NotFound(entity="lead", key="lead_1")) == "lead lead_1 not found"
    assert str(ALL_ERRORS[2]) == (
        "cannot qualify lead lead_1 in state disqualified: the lead has no owner; allowed: recycle"
    )
    assert str(
        InvalidTransition(entity="lead", entity_id="l", state="converted", action="qualify")
    ).endswith("allowed: none")
    assert str(ALL_ERRORS[3]) == (
        "lead lead_1 was changed concurrently: expected version 3, found version 4"
    )
    assert "no longer exists" in str(
        ConcurrencyConflict(entity="lead", entity_id="l", expected=1, stored=None)
    )
    assert str(ALL_ERRORS[4]) == "account with website_domain acme.com already exists"
    assert str(ALL_ERRORS[5]).startswith("cannot add USD and EUR")
    assert str(ALL_ERRORS[6]) == (
        "invalid configuration at stages[3].probability: must be between 0 and 1 (got 1.5)"
    )
    assert "call fit() first" in str(ALL_ERRORS[7])
