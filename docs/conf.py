"""Sphinx configuration for the leadflow documentation (MyST Markdown, furo theme)."""

from __future__ import annotations

from importlib.metadata import version as _version

project = "leadflow"
author = "The leadflow developers"
copyright = "2026, The leadflow developers"
release = _version("leadflow")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
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
autodoc_preserve_defaults = False

# The build runs without network access, so there is no intersphinx: references to the
# standard library and to attrs, cattrs and Hypothesis are left as plain names.
nitpicky = True
_EXTERNAL_MODULES = (
    r"datetime|decimal|uuid|enum|collections\.abc|typing|types|attr|attrs|cattrs|cattr|hypothesis|"
    r"os|sqlite3|psycopg|pytest|_pytest"
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
