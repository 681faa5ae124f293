"""``python -m reviewkit``.

``python -m`` puts the current directory first on ``sys.path``. In a checkout under review that would
let the change's own ``reviewers/`` package or ``*.dist-info`` stand in for reviewkit's plugins, so the
entry is dropped before anything else is imported. (A ``reviewkit/`` package in the checkout would still
be imported by Python itself before this file runs: in untrusted checkouts run the ``reviewkit`` console
script, or ``python -P -m reviewkit``.)
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from reviewkit.cli import main

raise SystemExit(main())
