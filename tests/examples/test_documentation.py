"""The README, the docs and the examples say what really happens: their code runs here."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import attrs
import pytest

from leadflow.serialization import ENTITY_TYPES
from tests.examples.scripts import run_script

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[str]:
    return [
        body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == "python"
    ]


def run_blocks(path: Path) -> str:
    """Run a file's python blocks in order, as one module; return what they printed.

    The blocks run as a reader would run them: in a real module (so that classes defined
    there resolve their annotations) and without this file's ``__future__`` imports.
    """
    name = f"_docs_{path.stem.replace('-', '_')}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            for number, block in enumerate(python_blocks(path), start=1):
                where = f"{path.relative_to(ROOT)} (block {number})"
                code = compile(block, where, "exec", dont_inherit=True)
                exec(code, module.__dict__)
    finally:
        del sys.modules[name]
    return out.getvalue()


def test_the_readme_example_runs() -> None:
    assert python_blocks(ROOT / "README.md"), "the README has an example"
    printed = run_blocks(ROOT / "README.md")
    assert "is not an e-mail address" in printed


def quick_start_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "the README has a Quick start section"
    return [body.strip() for lang, body in FENCE.findall(match.group(1))]


def test_the_quick_start_has_exactly_two_commands_main_job_then_tests() -> None:
    blocks = quick_start_blocks()
    assert len(blocks) == 2
    main_job, tests = blocks
    assert main_job.endswith("leadflow demo")
    assert "pip install '.[cli]'" in main_job
    assert "pip install -e '.[test]'" in tests
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "Quick start" in script, ".ci/run reads the command from the README"


DOC_PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p))


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_every_python_block_in_the_docs_runs(page: Path) -> None:
    run_blocks(page)


def test_the_docs_have_runnable_pages() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in DOC_PAGES}
    assert {"tutorial/index.md", "how-to/load-documents.md", "how-to/money.md"} <= names


def test_the_quickstart_example_prints_documents_that_read_back() -> None:
    out = run_script(ROOT / "examples" / "quickstart.py", timeout=120)
    assert "refused: invalid EmailAddress" in out
    assert "weighted amount of 'Analytical Engines: forecasting rollout': 11550.00 EUR" in out
    assert "not qualified: the lead has no owner; no way to reach the person" in out
    assert "converted: created account, contact, opportunity; matched nothing" in out
    assert "deal closed_won: 40000 EUR; stages prospecting > qualification" in out
    assert "  marketing_stage: opportunity -> customer (advance:customer)" in out
    sections = re.split(r"^--- (\w+) \S+\n", out, flags=re.M)[1:]
    kinds = sections[0::2]
    assert kinds == ["Lead", "Lead", "Lead", "Account", "Opportunity"]
    for text in sections[1::2]:
        assert json.loads(text)["schema"] == 1


def test_the_document_reference_names_every_field() -> None:
    text = (DOCS / "reference" / "documents.md").read_text(encoding="utf-8")
    common = {"id", "version", "created_at", "updated_at", "external_id", "custom_fields"}
    for cls in ENTITY_TYPES:
        heading = re.search(rf"^## {cls.__name__}\n(.*?)(?=^## )", text, re.S | re.M)
        assert heading, f"documents.md has a section for {cls.__name__}"
        for field in attrs.fields(cls):
            if field.name in common:
                assert f"`{field.name}`" in text
            else:
                assert f"`{field.name}`" in heading.group(1), (cls.__name__, field.name)


def test_the_example_adapter_passes_the_conformance_kit() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_document_store.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT / "examples",
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"^\d{3} passed, 1 skipped in", result.stdout, re.M), result.stdout[-500:]


def public_modules() -> list[str]:
    """Every module of leadflow whose path has no part starting with an underscore."""
    source = ROOT / "src"
    names = []
    for path in sorted((source / "leadflow").rglob("*.py")):
        parts = path.relative_to(source).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return names


def _public_home(obj: object) -> str:
    """The public module an object is defined in: its module up to the first private part."""
    public: list[str] = []
    for part in getattr(obj, "__module__", "").split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join(public)


def test_the_reference_documents_every_public_module() -> None:
    """Each public module has an automodule, or its names are all its documented parent's."""
    import importlib

    reference = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    documented = set(re.findall(r"automodule:: ([\w.]+)", reference))
    missing = []
    for name in public_modules():
        if name in documented:
            continue
        parent = name.rpartition(".")[0]
        if not parent:  # the facade: each name documented where it is defined
            facade = importlib.import_module(name)
            homes = {_public_home(getattr(facade, n)) for n in facade.__all__ if n != "__version__"}
            missing.extend(sorted(homes - documented))
            continue
        module, package = importlib.import_module(name), importlib.import_module(parent)
        if parent not in documented or not set(module.__all__) <= set(package.__all__):
            missing.append(name)
    assert missing == []
