"""``python -m benchmarks [--quick] [--only NAME ...] [--json PATH] [--markdown PATH]``."""

import sys

from linparity.cli import Console, OneLineParser, run_main
from linparity.output import OutputError, check_distinct, check_writable, write_atomic, write_json

from . import _common, ntp_sgd, policy_gradient, sampling, system, xla_flag_off

BENCHMARKS = ("ntp_sgd", "sampling", "xla_flag_off", "policy_gradient", "headline", "roofline", "scaling")

READING = """How to read it. The comparisons with JAX (`protocol=interleaved`) call every
implementation once to warm up, then in alternating rounds (A B C, A B C, ...: 7 rounds,
3 with `--quick`, the same work per call in both), and report the median throughput
with its range over rounds and the process's CPU seconds per wall second
(`cpu_per_wall`); linparity runs at 1 and 2 threads (`impl@threads` in the rounds), and
a ratio is taken round by round against the best JAX variant. Other throughputs come
from the fastest of several repeats, the one least disturbed by other load on a shared
machine (single runs here vary by up to 30%). `scaling` times 1 and 2 threads in alternation over several rounds;
`independent_work` is the machine's own scaling in those rounds (independent
integer chains, nothing shared). The roofline record divides the NTP kernel's
GFLOP/s (`flops_per_long_sample` useful flops per long sample) by numpy's float64
matmul (`fraction_of_matmul`) and by `pattern_gflops`, the same loads, stores and
flops with the dependencies between samples removed (`fraction_of_pattern`);
`chained_pattern_gflops` puts SGD's dependency back (each update waits on its sample's
dot and an exponential, one block per loop), which measures how much of the gap that
chain explains; all three are timed in the same interleaved rounds.
The JAX variants run with XLA's CPU small-loop flag (`xla_small_loop_flag=on`);
`xla_flag_off` times them again without it, in a process of its own (`impl_flag_off`
rows, kept out of the ratios against the best JAX variant), and `..._flag_on_vs_off`
divides the two medians (two processes, not interleaved with each other)."""


def _run(name, quick):
    if name == "ntp_sgd":
        return ntp_sgd.run((16, 32, 64) if quick else (16, 32, 64, 128, 256), quick)
    if name == "sampling":
        return sampling.run(quick)
    if name == "policy_gradient":
        return policy_gradient.run(quick)
    if name == "xla_flag_off":
        return xla_flag_off.run(quick)
    return getattr(system, name)(quick)


#: The speed targets (benchmark, kind, d): linparity at 2 threads over the best JAX variant.
TARGETS = {("ntp_sgd", "long", 64): 2.5, ("ntp_sgd", "short", 64): 2.0, ("sampling", None, 64): 2.0}
#: The NTP kernel's target fraction of the access-pattern ceiling (roofline record).
PATTERN_TARGET = 0.8


def _peers(results, mine):
    """The interleaved JAX records measured with ``mine`` (same benchmark, d and kind)."""
    return [
        r
        for r in results
        if r.get("protocol") == "interleaved"
        and r["impl"].startswith("jax")
        and r.get("xla_small_loop_flag") != "off"
        and (r["benchmark"], r["d"], r.get("kind")) == (mine["benchmark"], mine["d"], mine.get("kind"))
    ]


def ratios(results):
    """linparity's throughput over each other implementation's, per benchmark and d.

    Against the JAX variants (measured in interleaved rounds) the ratio is taken round by
    round against the best variant (highest median), for 1 and 2 threads: ``..._vs_best_jax``
    with its ``_min`` and ``_max`` over rounds.  Against the per-sample baselines (numpy,
    PyTorch) it is the ratio of linparity's 2-thread median to their best time.
    """
    out = {}
    for mine in results:
        if mine["impl"] != "linparity":
            continue
        if mine.get("protocol") != "interleaved":  # best-of-repeats records (policy_gradient)
            for r in results:
                same = (r["benchmark"], r["d"], r.get("kind")) == (mine["benchmark"], mine["d"], mine.get("kind"))
                if same and r["impl"] in ("numpy", "torch") and mine["benchmark"] not in ("headline", "roofline"):
                    kind = "_" + mine["kind"] if mine.get("kind") else ""
                    out[f"{mine['benchmark']}{kind}_d{mine['d']}_vs_{r['impl']}"] = mine["throughput"] / r["throughput"]
            continue
        stem = f"{mine['benchmark']}{'_' + mine['kind'] if mine.get('kind') else ''}_d{mine['d']}"
        peers = _peers(results, mine)
        if peers:
            best = max(peers, key=lambda r: r["throughput"])
            pr = _common.paired_ratio(mine, best)
            key = f"{stem}_linparity_{mine['threads']}t_vs_best_jax"
            out[key], out[key + "_min"], out[key + "_max"] = pr["median"], pr["min"], pr["max"]
        if mine["threads"] == 2:
            for r in results:
                if r["impl"] in ("numpy", "torch") and (r["benchmark"], r["d"], r.get("kind")) == (
                    mine["benchmark"], mine["d"], mine.get("kind"),
                ):  # fmt: skip
                    out[f"{stem}_vs_{r['impl']}"] = mine["throughput"] / r["throughput"]
    for off in results:
        if off.get("xla_small_loop_flag") == "off":
            impl = off["impl"].removesuffix("_flag_off")
            for on in results:
                if on["impl"] == impl and (on["benchmark"], on["d"], on.get("kind")) == (
                    off["benchmark"], off["d"], off.get("kind"),
                ):  # fmt: skip
                    kind = "_" + off["kind"] if off.get("kind") else ""
                    out[f"{off['benchmark']}{kind}_d{off['d']}_{impl}_flag_on_vs_off"] = (
                        on["throughput"] / off["throughput"]
                    )
    for r in results:
        if r["benchmark"] == "roofline":
            out["roofline_fraction_of_matmul"] = r["fraction_of_matmul"]
            out["roofline_fraction_of_pattern"] = r["fraction_of_pattern"]
        if r["benchmark"] == "scaling" and r.get("kernel") and r["threads"] == 2:
            out[f"threads_2_vs_1_{r['kernel']}"] = r["speedup_vs_1_thread"]
        if r["benchmark"] == "scaling" and r["unit"] == "exponent":
            out["long_sample_cost_exponent_in_d"] = r["throughput"]
    return out


def target_lines(ratios_):
    """One line per speed target: measured median and range over rounds, met or not."""
    lines = []
    for (bench, kind, d), goal in TARGETS.items():
        key = f"{bench}{'_' + kind if kind else ''}_d{d}_linparity_2t_vs_best_jax"
        name = f"{bench}{' ' + kind if kind else ''}"
        what = f"{name} at d = {d}, 2 threads, against the best JAX variant: target >= {goal:g}x"
        if key not in ratios_:
            lines.append(f"* {what}: not measured (jax not installed, or the benchmark not run)")
            continue
        verdict = (
            "met" if ratios_[key + "_min"] >= goal else ("met in median only" if ratios_[key] >= goal else "NOT met")
        )
        low, high = ratios_[key + "_min"], ratios_[key + "_max"]
        lines.append(f"* {what}: measured {ratios_[key]:.2f}x (rounds {low:.2f}-{high:.2f}): {verdict}")
    if "roofline_fraction_of_pattern" in ratios_:
        f = ratios_["roofline_fraction_of_pattern"]
        lines.append(
            f"* NTP kernel at d = 64 against its access-pattern ceiling, median of 5 interleaved rounds: "
            f"target >= {PATTERN_TARGET:g}: measured {f:.3f}: {'met' if f >= PATTERN_TARGET else 'NOT met'}"
        )
    return lines


def table(results):
    lines = ["| benchmark | impl | d | threads | throughput | unit | notes |", "|---|---|---|---|---|---|---|"]
    for r in results:
        notes = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in r.items()
            if k not in ("benchmark", "impl", "d", "threads", "throughput", "unit", "rounds")
            and not isinstance(v, (dict, list))  # per-kernel and per-round values: in the JSON
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
        targets = "\n".join(target_lines(report["ratios"]))
        write_atomic(
            args.markdown,
            f"# Benchmark results\n\nRegenerated by `{command}`.\n\n{READING}\n\n"
            f"## Targets\n\n{targets}\n\n## Machine\n\n{machine}\n\n"
            f"## Results\n\n{table(results)}\n\n## Ratios\n\n| ratio | value |\n|---|---|\n"
            f"{ratio_lines}\n",
        )


if __name__ == "__main__":
    sys.exit(run_main("benchmarks", main))
