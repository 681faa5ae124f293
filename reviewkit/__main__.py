"""``python -m reviewkit``."""

from reviewkit.cli import main

raise SystemExit(main())
