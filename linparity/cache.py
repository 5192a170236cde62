"""``python -m linparity.cache [--clear]``: where numba keeps linparity's compiled kernels.

The kernels are compiled with ``cache=True``, so the first run of a fresh install pays
the compilation and later runs load machine code from disk.  numba checks a cached
kernel against its own source file's timestamp, but not against the files it
imports from (a helper kernel, a tuning constant): after editing those, a stale
kernel can be loaded.  Clearing the cache is the fix; the next run recompiles.

Without ``NUMBA_CACHE_DIR`` numba writes ``*.nbi`` / ``*.nbc`` files into
``__pycache__`` beside each kernel module (or, for a read-only install, under the
user's cache directory); with it, under that directory.  All three are searched.
"""

import hashlib
import os
import sys

from .cli import OneLineParser, run_main

PACKAGE = os.path.dirname(os.path.abspath(__file__))
SUFFIXES = (".nbi", ".nbc")


def _numba_subpath(source_dir):
    # numba's UserProvidedCacheLocator / UserWideCacheLocator name a source directory
    # "<last component>_<sha1 of its absolute path>" inside their cache root.
    return os.path.basename(source_dir) + "_" + hashlib.sha1(source_dir.encode()).hexdigest()


def cache_dirs():
    """Directories where numba may keep linparity's cached kernels (existing or not)."""
    sources = [root for root, _, names in os.walk(PACKAGE) if any(n.endswith(".py") for n in names)]
    roots = [
        os.environ.get("NUMBA_CACHE_DIR"),
        os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "numba"),
    ]
    return [PACKAGE] + [os.path.join(r, _numba_subpath(s)) for r in roots if r for s in sources]


def cache_files():
    """Every cached-kernel file (``*.nbi`` index, ``*.nbc`` code) of linparity, sorted."""
    found = set()
    for top in cache_dirs():
        for root, _, names in os.walk(top):
            found.update(os.path.join(root, n) for n in names if n.endswith(SUFFIXES))
    return sorted(found)


def clear():
    """Delete every cached kernel; return how many files were removed."""
    files = cache_files()
    for path in files:
        os.unlink(path)
    return len(files)


def main(argv=None):
    p = OneLineParser(
        prog="python -m linparity.cache",
        description="Show (default) or clear numba's on-disk cache of linparity's kernels. "
        "Clear it after editing a kernel's helpers or linparity.tuning: numba "
        "does not notice those changes and may load a stale kernel.",
    )
    p.add_argument("--clear", action="store_true", help="delete the cached kernels (the next run recompiles)")
    args = p.parse_args(argv)
    try:
        if args.clear:
            print(f"removed {clear()} cached kernel file(s)")
        else:
            files = cache_files()
            size = sum(os.path.getsize(f) for f in files)
            where = sorted({os.path.dirname(f) for f in files})
            print(f"{len(files)} cached kernel file(s), {size / 1e6:.1f} MB" + "".join(f"\n  {w}" for w in where))
    except OSError as exc:
        sys.stderr.write(f"linparity.cache: error: {exc.filename}: {exc.strerror}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(run_main("linparity.cache", main))
