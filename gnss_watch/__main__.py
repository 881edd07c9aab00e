"""``python -m gnss_watch`` runs the command-line interface."""

from .cli import main

raise SystemExit(main())
