"""File output for every command: atomic writes, tidy CSV, up-front writability checks.

Atomic: a reader sees the old file or the whole new one, never half, and a failed or
interrupted write leaves the old file intact.  This is the one writer of the package
(simulate, sweep, figures, ablations, proofs_check and benchmarks all use it).
"""

import contextlib
import csv
import io
import os
import tempfile

#: Prefix of the temporary files beside a target; a sweep removes leftovers of a kill.
TMP_PREFIX = ".linparity-tmp-"


@contextlib.contextmanager
def atomic_path(path, prefix=TMP_PREFIX):
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The file gets the usual mode (``0666`` less the umask; ``mkstemp`` makes 0600)
    and is fsync'ed before the rename. On failure the temporary file is removed.
    """
    # No suffix: a listing of DIR/*.json (a sweep's runs) must never see a half-written
    # file; a caller that needs the format, such as savefig, passes it explicitly.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=prefix)
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path, text, prefix=TMP_PREFIX):
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, prefix) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def csv_text(rows, fields):
    """Rows (dicts) as CSV text with a header, by the ``csv`` module (quoting as needed).

    ``None`` and missing values become empty cells; lines end in ``\\n``.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: ("" if row.get(k) is None else row[k]) for k in fields} for row in rows)
    return buf.getvalue()


def write_csv(path, rows, fields):
    """Write :func:`csv_text` of ``rows`` to ``path`` atomically."""
    write_atomic(path, csv_text(rows, fields))


def check_writable(path, flag):
    """Fail before a run, not after it, if ``path`` cannot be written.

    Raises ``ValueError`` with a one-line message naming ``flag``; ``None`` passes.
    """
    if path is None:
        return
    if os.path.isdir(path):
        raise ValueError(f"{flag} {path}: is a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(os.path.abspath(path)), prefix=".linparity-check-"):
            pass
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from None


def check_dir_writable(path, flag):
    """Fail up front if the directory ``path`` cannot be created or written into.

    Raises ``ValueError`` with a one-line message naming ``flag``. A missing directory
    passes if its nearest existing parent is writable (the command creates it).
    """
    if not path:
        raise ValueError(f"{flag}: empty path")
    probe = os.path.abspath(path)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise ValueError(f"{flag} {path}: {probe} is not a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".linparity-check-"):
            pass
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from None
