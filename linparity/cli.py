"""What every command-line entry point shares."""

import argparse
import importlib
import os
import signal
import sys


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit code 2 (no usage dump)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class Console:
    """Printed output that a closed or broken stream cannot turn into a crash.

    ``write`` goes to ``stream`` until the first failure (a closed pipe, a full
    device, a closed descriptor: ``stream`` is ``None`` under ``>&-``); from then on
    nothing is printed and the command carries on, so the files it writes are still
    written. ``close`` points a failed stdout at ``/dev/null``, so that Python's own
    flush at exit does not print "Exception ignored" either.
    """

    def __init__(self, stream, enabled=True):
        self.stream = stream
        self.enabled = enabled and stream is not None
        self.failed = False

    def write(self, text):
        if not self.enabled or self.failed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # ValueError: write to a closed file
            self.failed = True

    def close(self):
        if not self.failed or self.stream is None:
            return
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (OSError, ValueError):
            pass


def run_main(prog, main):
    """``sys.exit(run_main(prog, main))``: every command's entry point.

    Ctrl-C at any moment exits 130 with one line, never a traceback and never a kill
    by SIGINT: an interrupt that escapes ``main`` goes to :func:`exit_interrupted`, and
    so does a ``main`` that handled it itself and returned 130. Once ``main`` has
    returned, a late Ctrl-C is ignored (the work is done and written; it must not turn
    exit 0 into a kill during interpreter shutdown).
    """
    try:
        code = main()
    except KeyboardInterrupt:
        exit_interrupted(prog)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == 130:
        _flush_and_exit(130)  # main printed its own line; see exit_interrupted for why not sys.exit
    return code


def run_command(prog, module):
    """:func:`run_main` of ``module.main``, with the import itself inside the guard.

    The import is the slow part of a start (numba, sympy, matplotlib). Used by the
    ``__main__`` modules of the packages.
    """
    return run_main(prog, lambda: importlib.import_module(module).main())


def exit_interrupted(prog, detail=""):
    """Print ``prog: interrupted`` and exit 130 at once.

    ``os._exit``, not ``sys.exit``: a Ctrl-C that lands while an imported library runs
    code through the C API leaves CPython's "unhandled KeyboardInterrupt" flag set
    even after we handle it, and the interpreter then kills itself with SIGINT at
    exit (exit status -2, seen one time in a few at 1.5 s into ``linparity.figures``
    and at 0.8 s into the quick ablations). Files are safe: every write is atomic and
    has removed its temporary file by now.
    """
    sys.stderr.write(f"{prog}: interrupted{detail}\n")
    _flush_and_exit(130)


def _flush_and_exit(code):
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, broken or None
            pass
    os._exit(code)
