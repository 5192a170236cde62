"""Atomic file output: a reader sees the old file or the whole new one, never half."""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, prefix=".tmp-"):
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    The file gets the usual mode (``0666`` less the umask; ``mkstemp`` makes 0600)
    and is fsync'ed before the rename. On failure the temporary file is removed.
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=prefix,
                               suffix=os.path.splitext(path)[1])
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


def write_atomic(path, text, prefix=".tmp-"):
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, prefix) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


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
