"""Loading example and benchmark scripts as modules, for the tests that call their functions."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def loaded(path: Path) -> Iterator[types.ModuleType]:
    """The script at ``path`` as a module, with its folder importable (as when run).

    The module is registered under the script's name while the block runs (dataclasses
    and pickling look modules up there) and removed afterwards, with the folder.
    """
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]
        sys.path.remove(folder)


def run_script(path: Path, *arguments: str, timeout: float = 300) -> str:
    """Run the script at ``path`` with ``arguments`` in a new interpreter; what it printed.

    A non-zero exit fails the test with the script's standard error.
    """
    done = subprocess.run(
        [sys.executable, str(path), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
