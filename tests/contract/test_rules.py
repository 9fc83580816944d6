"""The kit and the ports reference agree: every test cites a rule, every rule has a test."""

from __future__ import annotations

import re
from pathlib import Path

from leadflow.testing import contracts

PORTS = Path(__file__).resolve().parents[2] / "docs" / "reference" / "ports.md"


def documented_rules() -> set[str]:
    return set(re.findall(r"^\*\*(\d+\.\d+)\*\*", PORTS.read_text(encoding="utf-8"), re.M))


def rules_with_tests() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in dir(contracts.StoreContracts):
        match = re.match(r"test_(\d+)_(\d+)_", name)
        assert match or not name.startswith("test_"), f"{name} does not start with its rule number"
        if match:
            found.setdefault(f"{match[1]}.{match[2]}", []).append(name)
    return found


def test_every_kit_test_cites_a_documented_rule() -> None:
    assert set(rules_with_tests()) <= documented_rules()


def test_every_documented_rule_has_a_kit_test() -> None:
    assert documented_rules() <= set(rules_with_tests())
