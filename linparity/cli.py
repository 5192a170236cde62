"""What every command-line entry point shares."""

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading


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
    except BaseException as exc:
        if not is_interrupt(exc):
            raise
        exit_interrupted(prog)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if code == 130:
        _flush_and_exit(130)  # main printed its own line; see exit_interrupted for why not sys.exit
    return code


def run_command(prog, module):
    """:func:`run_main` of ``module.main``, with the import itself under :func:`exit_on_interrupt`.

    The import is the slow part of a start (numba, sympy, matplotlib). Used by the
    ``__main__`` modules of the packages.
    """

    def main():
        with exit_on_interrupt(prog):
            command = importlib.import_module(module)
        return command.main()

    return run_main(prog, main)


@contextlib.contextmanager
def exit_on_interrupt(prog, detail="", enabled=True):
    """Within the block, Ctrl-C prints ``prog: interrupted<detail>`` and exits 130 at once.

    For the stretches of a command that write nothing (importing numba, sympy or
    matplotlib; a simulation whose results are written after it): there, a
    ``KeyboardInterrupt`` raised into library code does not reliably come back out.
    Seen on 2 cores, Ctrl-C 0.03-0.6 s into ``linparity.simulate``: numpy's C import
    turned it into an ``ImportError`` ("PyCapsule_Import could not import module
    datetime"), llvmlite's ctypes callback swallowed it ("Exception ignored on calling
    ctypes callback function") and the run went on to exit 0, or left numba's LLVM
    lock taken so that the next compile, on a pool thread, waited forever (0.46 s into
    the quick ablations), and a dataclass being defined turned it into a
    ``RuntimeError``. So the signal handler itself exits,
    before any library sees an exception. A no-op off the main thread (where Python
    allows no signal handlers) and when ``enabled`` is false.
    """
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: exit_interrupted(prog, detail))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def is_interrupt(exc):
    """Whether ``exc`` is a Ctrl-C, or an error that a Ctrl-C caused.

    An interrupt is not always raised as itself: one that lands while a class body's
    ``__set_name__`` runs (a dataclass being defined, as when numba imports
    ``coverage``) comes out as ``RuntimeError`` with the ``KeyboardInterrupt`` as its
    cause (seen in CI, 0.3 s into ``linparity.simulate``). So the whole chain of
    causes and contexts is looked at. The safety net of :func:`run_main`; where
    nothing needs cleaning up, :func:`exit_on_interrupt` does not let it get that far.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__
    return False


def exit_interrupted(prog, detail=""):
    """Print ``prog: interrupted`` and exit 130 at once.

    ``os._exit``, not ``sys.exit``: a Ctrl-C that lands while an imported library runs
    code through the C API leaves CPython's "unhandled KeyboardInterrupt" flag set
    even after we handle it, and the interpreter then kills itself with SIGINT at
    exit (exit status -2, seen one time in a few at 1.5 s into ``linparity.figures``
    and at 0.8 s into the quick ablations). Files are safe: every write is atomic and
    has removed its temporary file by now (or, under :func:`exit_on_interrupt`, has
    not begun). On a terminal the line first clears a progress bar that the exit cut
    off mid-line.
    """
    try:
        clear = "\r\x1b[K" if sys.stderr.isatty() else ""
        sys.stderr.write(f"{clear}{prog}: interrupted{detail}\n")
    except (AttributeError, OSError, ValueError):  # stderr None, broken or closed: exit all the same
        pass
    _flush_and_exit(130)


def _flush_and_exit(code):
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, broken or None
            pass
    os._exit(code)
