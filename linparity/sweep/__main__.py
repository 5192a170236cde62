"""``python -m linparity.sweep``: see :mod:`linparity.sweep.cli`."""

import sys

from .cli import main

sys.exit(main())
