"""``python -m leadflow``: the command line (see :mod:`leadflow.cli`)."""

from leadflow.cli import main

raise SystemExit(main())
