"""``python -m lbc_eval``: the same as the ``lbc-eval`` command."""

from lbc_eval.cli import main

raise SystemExit(main())
