"""A throwaway PostgreSQL server for the tests, on a unix socket in a temporary directory.

:func:`find_binaries` looks for ``initdb`` and ``pg_ctl`` on ``PATH`` and under
``/usr/lib/postgresql/*/bin`` (newest first).  ``LEADFLOW_POSTGRES_BIN`` names the one
directory to look in instead; set it to a directory without them (``/nonexistent``)
to see how the suite behaves on a machine without PostgreSQL: the PostgreSQL tests
skip with the reason, unless ``CI`` is ``true``, where they fail.

:class:`PostgresServer` runs ``initdb`` (trust authentication, no fsync) and
``pg_ctl start -w``, listening on no TCP address, only on a socket in its directory.
As root, which ``initdb`` and ``postgres`` refuse, it runs them as the ``postgres``
system user (or ``nobody``) and gives that user the directory.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import itertools
import os
import pwd
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

import pytest

#: The database the tests' schemas are made in.
DATABASE = "leadflow"
_BIN_VARIABLE = "LEADFLOW_POSTGRES_BIN"


def in_ci() -> bool:
    """Whether the suite runs in CI, where missing PostgreSQL is a failure, not a skip."""
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``, or fail it in CI."""
    if in_ci():
        pytest.fail(f"CI=true requires the PostgreSQL tests to run, but {reason}", pytrace=False)
    pytest.skip(reason)


def _version_key(directory: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", directory)) or (0,)


def find_binaries() -> tuple[Path, Path] | None:
    """The paths of ``initdb`` and ``pg_ctl``, or ``None`` when there are none."""
    chosen = os.environ.get(_BIN_VARIABLE)
    if chosen is not None:
        candidates = [chosen]
    else:
        on_path = [shutil.which("initdb"), shutil.which("pg_ctl")]
        if on_path[0] and on_path[1]:
            return Path(on_path[0]), Path(on_path[1])
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for directory in candidates:
        initdb, pg_ctl = Path(directory, "initdb"), Path(directory, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run the server as when we are root."""
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    return None


class PostgresServer:
    """A PostgreSQL server in a temporary directory; :meth:`start` it, then :meth:`stop` it."""

    def __init__(self, initdb: Path, pg_ctl: Path) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="leadflow-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._user = _server_user() if os.geteuid() == 0 else None
        if self._user is not None:
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
        self._names = itertools.count(1)
        self.running = False

    @property
    def socket_dir(self) -> Path:
        """The directory holding the server's socket (the ``host`` of its URLs)."""
        return self.root

    def _run(self, *command: str) -> None:
        argv = list(command)
        if self._user is not None:
            argv = ["runuser", "-u", self._user.pw_name, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(
                f"{shlex.join(argv)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> None:
        """Make the cluster, start the server and create the test database."""
        self._run(
            str(self.initdb),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses='' -k {shlex.quote(str(self.socket_dir))} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            str(self.pg_ctl), "start", "-w", "-t", "60", "-D", str(self.data),
            "-l", str(self.log), "-o", options,
        )  # fmt: skip
        self.running = True
        self.admin(f'CREATE DATABASE "{DATABASE}"')

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away)."""
        if self.running:
            self.running = False
            self._run(str(self.pg_ctl), "stop", "-w", "-D", str(self.data), "-m", "immediate")

    def remove(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = DATABASE, **options: str) -> str:
        """A ``postgresql://`` URL for ``database`` over the socket, with ``options``."""
        query = "&".join(
            f"{key}={quote(value, safe='')}"
            for key, value in {"host": str(self.socket_dir), **options}.items()
        )
        return f"postgresql://postgres@/{database}?{query}"

    def admin(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(sql)  # type: ignore[call-overload]

    def new_schema_name(self) -> str:
        """A schema name no test has used yet."""
        return f"t{next(self._names)}"


def require_driver() -> None:
    """Skip the test (fail it in CI) when the PostgreSQL driver is not installed."""
    if importlib.util.find_spec("psycopg") is None:
        unavailable(
            "the PostgreSQL driver is not installed (pip install 'psycopg[binary]>=3.1', "
            "or install leadflow with the 'test' extra)"
        )


def start_server() -> PostgresServer:
    """A started throwaway server; skips (fails in CI) where there can be none."""
    require_driver()
    binaries = find_binaries()
    if binaries is None:
        where = os.environ.get(_BIN_VARIABLE) or "PATH or /usr/lib/postgresql/*/bin"
        unavailable(f"no PostgreSQL server binaries (initdb, pg_ctl) were found in {where}")
    if os.geteuid() == 0 and _server_user() is None:
        unavailable("running as root, and there is no 'postgres' or 'nobody' user to run it as")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        unavailable("running as root, and there is no runuser to start the server as another user")
    server = PostgresServer(*binaries)
    try:
        server.start()
    except BaseException:
        server.remove()
        raise
    return server
