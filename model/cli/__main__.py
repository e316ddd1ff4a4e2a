"""``python -m vnsim.cli``: the same as the ``vnsim`` command."""

from vnsim.cli import main

raise SystemExit(main())
