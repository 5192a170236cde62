"""``python -m benchmarks [--quick] [--only NAME ...] [--json PATH] [--markdown PATH]``."""

import sys

from linparity.cli import Console, OneLineParser, run_main
from linparity.output import OutputError, check_distinct, check_writable, write_atomic, write_json

from . import _common, ntp_sgd, policy_gradient, sampling, system

BENCHMARKS = ("ntp_sgd", "sampling", "policy_gradient", "headline", "roofline", "scaling")

READING = """How to read it: every throughput comes from the fastest of several repeats, the
one least disturbed by other load on a shared machine (single runs here vary by up
to 30%). `scaling` times 1 and 2 threads in alternation over several rounds;
`independent_work` is the machine's own scaling in those rounds (independent
integer chains, nothing shared). The roofline record divides the NTP kernel's
GFLOP/s (`flops_per_long_sample` useful flops per long sample) by numpy's float64
matmul (`fraction_of_matmul`) and by `pattern_gflops`, the same loads, stores and
flops with the dependencies between samples removed (`fraction_of_pattern`)."""


def _run(name, quick):
    if name == "ntp_sgd":
        return ntp_sgd.run((16, 32, 64) if quick else (16, 32, 64, 128, 256), quick)
    if name == "sampling":
        return sampling.run(quick)
    if name == "policy_gradient":
        return policy_gradient.run(quick)
    return getattr(system, name)(quick)


def ratios(results):
    """linparity's throughput over each other implementation's, per benchmark and d."""
    out = {}
    for r in results:
        if r["impl"] == "linparity":
            continue
        mine = [
            q
            for q in results
            if q["impl"] == "linparity"
            and q["benchmark"] == r["benchmark"]
            and q["d"] == r["d"]
            and q.get("kind") == r.get("kind")
        ]
        if mine:
            key = f"{r['benchmark']}{'_' + r['kind'] if r.get('kind') else ''}_d{r['d']}_vs_{r['impl']}"
            out[key] = mine[0]["throughput"] / r["throughput"]
    for r in results:
        if r["benchmark"] == "roofline":
            out["roofline_fraction_of_matmul"] = r["fraction_of_matmul"]
        if r["benchmark"] == "scaling" and r.get("kernel") and r["threads"] == 2:
            out[f"threads_2_vs_1_{r['kernel']}"] = r["speedup_vs_1_thread"]
        if r["benchmark"] == "scaling" and r["unit"] == "exponent":
            out["long_sample_cost_exponent_in_d"] = r["throughput"]
    return out


def table(results):
    lines = ["| benchmark | impl | d | threads | throughput | unit | notes |", "|---|---|---|---|---|---|---|"]
    for r in results:
        notes = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in r.items()
            if k not in ("benchmark", "impl", "d", "threads", "throughput", "unit")
        )
        lines.append(
            f"| {r['benchmark']} | {r['impl']} | {r['d'] if r['d'] is not None else ''} | "
            f"{r['threads'] if r['threads'] is not None else ''} | {r['throughput']:.4g} | "
            f"{r['unit']} | {notes} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = OneLineParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter measurements (d = 64 still covered)")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these benchmarks")
    parser.add_argument("--json", metavar="PATH", help="write the machine, results and ratios as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the report (e.g. benchmarks/RESULTS.md)")
    args = parser.parse_args(argv)
    try:
        check_writable(args.json, "--json")
        check_writable(args.markdown, "--markdown")
        check_distinct({"--json": args.json, "--markdown": args.markdown})
    except ValueError as exc:
        parser.error(str(exc))
    results = []
    try:
        for name in args.only or BENCHMARKS:
            print(f"running {name} ...", file=sys.stderr, flush=True)
            results.extend(_run(name, args.quick))
    except KeyboardInterrupt:
        sys.stderr.write("benchmarks: interrupted; nothing written\n")
        return 130
    report = {"machine": _common.machine(), "results": results, "ratios": ratios(results)}
    out = Console(sys.stdout)
    out.write(table(results) + "\n\n")
    for k, v in report["ratios"].items():
        out.write(f"{k}: {v:.3g}\n")
    out.close()
    try:
        _write(args, report, results)
    except (OutputError, ValueError) as exc:  # ValueError: a NaN, which strict JSON refuses
        sys.stderr.write(f"benchmarks: error: {exc}\n")
        return 1
    return 0


def _write(args, report, results):
    if args.json:
        write_json(args.json, report)
    if args.markdown:
        command = (
            "python -m benchmarks"
            + (" --quick" if args.quick else "")
            + (" --only " + " ".join(args.only) if args.only else "")
            + f" --markdown {args.markdown}"
        )
        machine = "\n".join(f"* {k}: {v}" for k, v in report["machine"].items())
        ratio_lines = "\n".join(f"| {k} | {v:.3g} |" for k, v in report["ratios"].items())
        write_atomic(
            args.markdown,
            f"# Benchmark results\n\nRegenerated by `{command}`.\n\n{READING}\n\n"
            f"## Machine\n\n{machine}\n\n"
            f"## Results\n\n{table(results)}\n\n## Ratios\n\n| ratio | value |\n|---|---|\n"
            f"{ratio_lines}\n",
        )


if __name__ == "__main__":
    sys.exit(run_main("benchmarks", main))
