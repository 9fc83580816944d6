"""Test-suite configuration: Hypothesis profiles.

``dev`` (the default) keeps the suite quick; ``ci`` runs more examples.  Choose with
``LEADFLOW_HYPOTHESIS_PROFILE=ci``; under ``CI=true`` the ``ci`` profile is the default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, settings

from tests.integration.postgres_server import PostgresServer, start_server

pytest_plugins = ["pytester"]

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("LEADFLOW_HYPOTHESIS_PROFILE", _default))


# ================================================================= PostgreSQL
# A throwaway server for the session (see tests/integration/postgres_server.py) and a
# schema of its own for each test: creating a schema is much cheaper than a database.
# Without PostgreSQL the tests that use them skip, with the reason; under CI=true they fail.


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a unix socket in a temporary directory, for the session."""
    server = start_server()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Callable[..., str]:
    """``postgres_url(name="default", **options)``: the URL of storage called ``name``.

    Each name is a schema of its own in the server's test database, fresh and empty the
    first time a test asks for it (the store creates it), the same later in the test.
    """
    schemas: dict[str, str] = {}

    def url(name: str = "default", **options: str) -> str:
        if name not in schemas:
            schemas[name] = postgres_server.new_schema_name()
        return postgres_server.url(schema=schemas[name], **options)

    return url
