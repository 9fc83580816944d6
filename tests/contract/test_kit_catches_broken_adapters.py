"""The conformance kit proves itself: it fails on adapters with the classic bugs."""

from __future__ import annotations

import re

import pytest

TEMPLATE = """
import pytest
from leadflow.testing.contracts import {contract}
from tests.contract.broken import {store}

class TestBroken({contract}):
    @pytest.fixture
    def open_store(self):
        stores = {{}}
        return lambda name="default": stores.setdefault(name, {store}())
"""


def run_kit(pytester: pytest.Pytester, store: str, contract: str = "StoreContracts") -> set[str]:
    """Run a contract against a broken store; return the names of the failed tests."""
    pytester.makepyfile(test_broken=TEMPLATE.format(store=store, contract=contract))
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    failed = re.findall(r"^FAILED \S+::TestBroken::(test_[\w]+)", result.stdout.str(), re.M)
    return set(failed)


@pytest.mark.parametrize(
    ("store", "contract", "caught_by"),
    [
        (
            "LostUpdateStore",
            "StoreContracts",
            {
                "test_2_6_stale_update_is_a_conflict",
                "test_3_6_the_second_of_two_writers_gets_a_conflict",
                "test_6_1_random_operations_match_the_reference_store",
            },
        ),
        ("PartialCommitStore", "UnitOfWorkContract", {"test_3_5_a_commit_stores_every_change"}),
        (
            "NoRollbackStore",
            "UnitOfWorkContract",
            {
                "test_3_3_leaving_without_commit_discards_everything",
                "test_3_4_after_commit_the_unit_of_work_goes_on",
            },
        ),
        (
            "SkippingPagesStore",
            "LeadRepositoryContract",
            {
                "test_4_3_pages_cover_every_match_exactly_once",
                "test_4_6_stream_yields_every_match_in_order",
            },
        ),
        (
            "RepeatingPagesStore",
            "LeadRepositoryContract",
            {
                "test_4_3_pages_cover_every_match_exactly_once",
                "test_4_6_stream_yields_every_match_in_order",
            },
        ),
    ],
)
def test_the_kit_fails_a_broken_adapter(
    pytester: pytest.Pytester, store: str, contract: str, caught_by: set[str]
) -> None:
    failed = run_kit(pytester, store, contract)
    assert caught_by <= failed, f"{store}: expected failures {caught_by}, got {failed}"


def test_the_kit_passes_the_reference_store(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reference=TEMPLATE.replace("tests.contract.broken", "leadflow.adapters.memory").format(
            store="MemoryStore", contract="StoreContracts"
        )
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0
    assert outcomes["passed"] > 100
    assert outcomes["skipped"] == 1  # persistence: the memory store is not persistent


def test_the_fixture_to_override_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_forgot="""
from leadflow.testing.contracts import UnitOfWorkContract

class TestForgot(UnitOfWorkContract):
    pass
"""
    )
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*override the 'open_store' fixture in your test class*"])
