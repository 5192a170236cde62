"""``python -m linparity.complexity``: see :mod:`linparity.complexity.cli`."""

import sys

from ..cli import run_command

sys.exit(run_command("linparity.complexity", "linparity.complexity.cli"))
