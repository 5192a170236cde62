"""``python -m proofs_check``: run every THEORY.md check and print a table.

Exit status: 0 when every check ran (whatever its verdict), 1 when a check
crashed, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
import time


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m proofs_check",
        description="Derive and cross-check every claim of THEORY.md (linparity).")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help='write {"claims": [{"id", "statement", "status", "method", '
                             '"detail"}]} to PATH (atomically)')
    parser.add_argument("--only", metavar="ID", action="append", default=None,
                        help="run only this claim id (repeatable)")
    parser.add_argument("--detail", action="store_true",
                        help="print each claim's full detail under the table")
    parser.add_argument("--quiet", action="store_true", help="print nothing (exit code only)")
    return parser.parse_args(argv)


def _write_json_atomic(path, payload):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".proofs_check.", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _table(results):
    lines = [f"{'id':<24} {'status':<12} statement / method"]
    lines.append("-" * 100)
    for r in results:
        statement = textwrap.shorten(r["statement"], 70)
        method = textwrap.shorten(r["method"], 70)
        lines.append(f"{r['id']:<24} {r['status']:<12} {statement}")
        lines.append(f"{'':<37} how: {method}")
    return "\n".join(lines)


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    from . import CLAIMS, run_all
    known = {c.id for c in CLAIMS}
    if args.only:
        unknown = sorted(set(args.only) - known)
        if unknown:
            print(f"proofs_check: unknown claim id(s) {', '.join(unknown)}; "
                  f"known: {', '.join(sorted(known))}", file=sys.stderr)
            return 2
    if args.json is not None:
        directory = os.path.dirname(os.path.abspath(args.json))
        if not os.path.isdir(directory):
            print(f"proofs_check: directory of --json path does not exist: {directory}",
                  file=sys.stderr)
            return 2
    start = time.perf_counter()
    results = run_all(set(args.only) if args.only else None)
    elapsed = time.perf_counter() - start
    if args.json is not None:
        _write_json_atomic(args.json, {"claims": results})
    if not args.quiet:
        print(_table(results))
        counts = {s: sum(r["status"] == s for r in results) for s in
                  ("verified", "discrepancy", "unproved", "crashed")}
        print("-" * 100)
        print(", ".join(f"{k}: {v}" for k, v in counts.items()) + f"  ({elapsed:.1f} s)")
        if args.detail:
            for r in results:
                print(f"\n[{r['id']}] {r['status']}\n  " + "\n  ".join(r["detail"].split(" || ")))
    return 1 if any(r["status"] == "crashed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
