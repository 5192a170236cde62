"""``python -m linparity.figures``: see :mod:`linparity.figures.cli`."""

import sys

from .cli import main

sys.exit(main())
