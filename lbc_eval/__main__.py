"""``python -m lbc_eval``: the same as the ``lbc-eval`` command."""

from .cli import main

raise SystemExit(main())
