"""``python -m proofs_check``: run every check of docs/theory.md section 6 and print a table.

Exit status: 0 when every check ran (whatever its verdict), 1 when a check
crashed, 2 on bad arguments.
"""

from __future__ import annotations

import sys
import textwrap
import time

from linparity.cli import Console, OneLineParser, exit_on_interrupt, run_main
from linparity.output import OutputError, check_writable, write_json


def _parse(argv):
    parser = OneLineParser(
        prog="python -m proofs_check",
        description="Derive and cross-check every claim of linparity's theory (docs/theory.md).",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help='write {"claims": [{"id", "statement", "status", "method", "detail"}]} to PATH (atomically)',
    )
    parser.add_argument(
        "--only", metavar="ID", action="append", default=None, help="run only this claim id (repeatable)"
    )
    parser.add_argument("--detail", action="store_true", help="print each claim's full detail under the table")
    parser.add_argument("--quiet", action="store_true", help="print nothing (exit code only)")
    return parser.parse_args(argv)


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
    with exit_on_interrupt("proofs_check", "; nothing written"):  # while sympy loads
        from . import CLAIMS, run_all

    known = {c.id for c in CLAIMS}
    if args.only:
        unknown = sorted(set(args.only) - known)
        if unknown:
            print(
                f"proofs_check: unknown claim id(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                file=sys.stderr,
            )
            return 2
    try:
        check_writable(args.json, "--json")
    except ValueError as exc:
        print(f"proofs_check: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        results = run_all(set(args.only) if args.only else None)
    except KeyboardInterrupt:
        print("proofs_check: interrupted; nothing written", file=sys.stderr)
        return 130
    elapsed = time.perf_counter() - start
    if args.json is not None:
        try:
            write_json(args.json, {"claims": results})
        except (OutputError, ValueError) as exc:
            print(f"proofs_check: error: {exc}", file=sys.stderr)
            return 1
    out = Console(sys.stdout, enabled=not args.quiet)
    out.write(_table(results) + "\n")
    counts = {s: sum(r["status"] == s for r in results) for s in ("verified", "discrepancy", "unproved", "crashed")}
    out.write("-" * 100 + "\n")
    out.write(", ".join(f"{k}: {v}" for k, v in counts.items()) + f"  ({elapsed:.1f} s)\n")
    if args.detail:
        for r in results:
            out.write(f"\n[{r['id']}] {r['status']}\n  " + "\n  ".join(r["detail"].split(" || ")) + "\n")
    out.close()
    return 1 if any(r["status"] == "crashed" for r in results) else 0


if __name__ == "__main__":
    sys.exit(run_main("proofs_check", main))
