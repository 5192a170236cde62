"""File output for every command: atomic writes, tidy CSV, up-front writability checks.

Atomic: a reader sees the old file or the whole new one, never half, and a failed or
interrupted write leaves the old file intact.  This is the one writer of the package
(simulate, sweep, figures, ablations, proofs_check and benchmarks all use it).
"""

import contextlib
import csv
import io
import json
import os
import tempfile

#: Prefix of the temporary files beside a target; a sweep removes leftovers of a kill.
TMP_PREFIX = ".linparity-tmp-"


class OutputError(OSError):
    """A file could not be written; ``str()`` is one line naming the file and the reason.

    The old file, if any, is intact. Commands print it and exit 1.
    """


def _target(path):
    """The file a write to ``path`` replaces: a symlink's target, never the link itself.

    Refuses what is not a regular file (a device such as ``/dev/stdout``, a pipe, a
    directory): replacing it by rename would destroy it.
    """
    hops, current = [], os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        hops.append(current)
        if not os.path.islink(current):
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    real = os.path.realpath(path)
    # /dev/stdout -> /proc/self/fd/1 -> whatever the shell opened: replacing that file
    # by rename would detach the shell's own output, so such paths are refused too.
    if any(h == d or h.startswith(d + os.sep) for h in hops + [real] for d in ("/dev", "/proc")):
        raise OutputError(f"{path}: a device or process file; give a file path")
    if os.path.exists(real) and not os.path.isfile(real):
        kind = "a directory" if os.path.isdir(real) else "not a regular file"
        shown = path if real == os.path.abspath(path) else f"{path} (-> {real})"
        raise OutputError(f"{shown}: {kind}; give a file path")
    return real


@contextlib.contextmanager
def atomic_path(path, prefix=TMP_PREFIX):
    """Yield a temporary path beside ``path``'s target; on success it replaces the target.

    The file gets the usual mode (``0666`` less the umask; ``mkstemp`` makes 0600)
    and is fsync'ed before the rename. On failure the temporary file is removed and
    the old file is left as it was. A symlink is written through (its target is
    replaced, the link stays). Errors are :class:`OutputError`.
    """
    target = _target(path)
    # No suffix: a listing of DIR/*.json (a sweep's runs) must never see a half-written
    # file; a caller that needs the format, such as savefig, passes it explicitly.
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=prefix)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write there ({exc.strerror or exc})") from None
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{path}: {exc.strerror or exc}; the old file, if any, is unchanged") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path, text, prefix=TMP_PREFIX):
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, prefix) as tmp:
        with open(tmp, "w") as f:
            f.write(text)


def json_text(obj, **kwargs):
    """``obj`` as strict JSON (``NaN`` and ``Infinity`` are not JSON: they raise ``ValueError``)."""
    return json.dumps(obj, allow_nan=False, **kwargs)


def write_json(path, obj):
    """Write ``obj`` as strict, indented JSON to ``path`` atomically."""
    write_atomic(path, json_text(obj, indent=2) + "\n")


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

    Raises ``ValueError`` with a one-line message naming ``flag``; ``None`` passes,
    an empty path does not.
    """
    if path is None:
        return
    if path == "":
        raise ValueError(f"{flag}: empty path; give a file path")
    if path.endswith(os.sep) or os.path.isdir(path):
        raise ValueError(f"{flag} {path}: is a directory; give a file path")
    try:
        target = _target(path)
    except OutputError as exc:
        raise ValueError(f"{flag} {exc}") from None
    folder = os.path.dirname(target)
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = None
    if name_max is not None and len(os.fsencode(os.path.basename(target))) > name_max:
        raise ValueError(f"{flag} {path}: file name longer than {name_max} bytes")
    _check_can_create(folder, path, flag)


def _check_can_create(folder, path, flag):
    """ValueError naming ``flag`` unless a file can be created in ``folder`` (tried, then removed)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".linparity-check-"):
            pass
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from None


def check_distinct(paths):
    """Fail if two output flags name the same file (``{flag: path}``; ``None`` ignored)."""
    seen = {}
    for flag, path in paths.items():
        if path is None:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise ValueError(f"{seen[real]} and {flag} name the same file {path}; give two paths")
        seen[real] = flag


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
    _check_can_create(probe, path, flag)
