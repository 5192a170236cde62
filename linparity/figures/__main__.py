"""``python -m linparity.figures``: see :mod:`linparity.figures.cli`."""

import sys

from ..cli import run_command

sys.exit(run_command("linparity.figures", "linparity.figures.cli"))
