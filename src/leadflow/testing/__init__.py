"""Tools for testing code that uses leadflow, and for testing storage adapters.

This package is public and ships in the wheel.  It needs the ``test`` extra
(``pip install "leadflow[test]"``), which brings Hypothesis and pytest.

* :mod:`leadflow.testing.strategies`: Hypothesis strategies for every value and entity.
* :mod:`leadflow.testing.faults`: a store wrapper that fails at the n-th write, and
  snapshots of everything a store holds, to check that a failed unit of work stored nothing.
"""
