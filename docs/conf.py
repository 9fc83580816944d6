"""Sphinx configuration for the leadflow documentation (MyST Markdown, furo theme)."""

from __future__ import annotations

import importlib
import inspect
from importlib.metadata import version as _version
from typing import Any, ClassVar

from docutils.parsers.rst import directives
from sphinxcontrib.mermaid import Mermaid

project = "leadflow"
author = "The leadflow developers"
copyright = "2026, The leadflow developers"
release = _version("leadflow")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    # Mermaid diagrams, drawn in the reader's browser: the build needs no network.
    "sphinxcontrib.mermaid",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"leadflow {release}"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True

# The build runs without network access, so there is no intersphinx: references to the
# standard library and to attrs, cattrs and Hypothesis are left as plain names.
nitpicky = True
_EXTERNAL_MODULES = (
    r"datetime|decimal|uuid|enum|collections\.abc|typing|types|attr|attrs|cattrs|cattr|hypothesis|"
    r"os|pathlib|sqlite3|psycopg|pytest|_pytest|math|contextlib"
)
_EXTERNAL_NAMES = (
    "Decimal|datetime|date|timedelta|UUID|Enum|Mapping|Iterable|Sequence|Callable|Iterator|Any|"
    "ClassVar|Literal|TypeVar|NoReturn|SearchStrategy|Strategy|Converter|BaseConverter|"
    "Attribute|ROUND_HALF_EVEN|NoneType"
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({_EXTERNAL_MODULES})(\..*)?"),
    (r"py:.*", rf"({_EXTERNAL_NAMES})"),
    (r"py:.*", r"(A|T|K|V|IdT|JsonScalar|ConsentChannel)"),
    (r"py:.*", r"leadflow(\.\w+)*\._\w+.*"),  # private modules
    (r"py:.*", r"leadflow(\.\w+)*\.(A|T|K|V|E|I|E_co|IdT)"),  # type variables
    (r"py:.*", r"(Clock|OpenStore|FieldKind|Op)"),  # type aliases
]


# ---------------------------------------------------------------------------------------
# Diagrams drawn from the code, so that they cannot drift from it:
#
#     ```{lifecycle-diagram} leadflow.lifecycle.LEAD_LIFECYCLE
#     ```
#
# draws the rule table (or pipeline) named by the dotted path with its to_mermaid();
# with the :stages: flag, a pipeline is drawn as a simplified flow of its stages instead
# (the full table has an edge for every allowed move).


def _stage_flow(pipeline: Any) -> str:
    """A pipeline's forward path: stages with probability and category, exit criteria."""

    def label(stage: Any) -> str:
        percent = f"{stage.probability.value:.0%}"
        return f"{stage.name}<br/>{percent}, {stage.forecast_category.value}"

    def names(guards: Any) -> str:
        return ", ".join(guard.name for guard in guards)

    won, lost = pipeline.won_stage, pipeline.lost_stage
    lines = ["flowchart LR", "    subgraph open_stages [open stages]", "        direction LR"]
    lines += [f'        {s.name}["{label(s)}"]' for s in pipeline.open_stages]
    for before, after in zip(pipeline.open_stages, pipeline.open_stages[1:], strict=False):
        criteria = names(before.exit_criteria)
        arrow = f'-->|"{criteria}"|' if criteria else "-->"
        lines.append(f"        {before.name} {arrow} {after.name}")
    lines.append("    end")
    lines.append(f'    {won.name}(["{label(won)}"])')
    lines.append(f'    {lost.name}(["{label(lost)}"])')
    last = pipeline.open_stages[-1]
    won_guards = names((*last.exit_criteria, *pipeline.won_requires))
    lost_guards = names(pipeline.lost_requires)
    lines.append(f'    {last.name} -->|"close_won: {won_guards}"| {won.name}')
    lines.append(f'    open_stages -->|"close_lost: {lost_guards}"| {lost.name}')
    return "\n".join(lines)


class LifecycleDiagram(Mermaid):
    """The ``lifecycle-diagram`` directive: a rule table or pipeline drawn from the code."""

    has_content = False
    required_arguments = 1
    optional_arguments = 0
    option_spec: ClassVar[dict[str, Any]] = {**Mermaid.option_spec, "stages": directives.flag}

    def get_mm_code(self) -> str:
        module_name, _, name = self.arguments[0].rpartition(".")
        module = importlib.import_module(module_name)
        self.state.document.settings.env.note_dependency(inspect.getfile(module))
        table = getattr(module, name)
        return _stage_flow(table) if "stages" in self.options else table.to_mermaid()


def setup(app: Any) -> None:
    app.add_directive("lifecycle-diagram", LifecycleDiagram)
