"""``python -m linparity.sweep``: see :mod:`linparity.sweep.cli`."""

import sys

from ..cli import run_command

sys.exit(run_command("linparity.sweep", "linparity.sweep.cli"))
