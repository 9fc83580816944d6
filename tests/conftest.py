"""Test-suite configuration: Hypothesis profiles.

``dev`` (the default) keeps the suite quick; ``ci`` runs more examples.  Choose with
``LEADFLOW_HYPOTHESIS_PROFILE=ci``; under ``CI=true`` the ``ci`` profile is the default.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
