"""The growth table: median samples to generalise per group and d, measured beside predicted."""

import json
import math
import statistics

from .grid import axis_fields, parse_schedule


def growth_table(rows):
    """Median samples to generalise (over seeds) per group and d, with measured and predicted growth.

    A group is one schedule (or fixed p) and one value of every other varying field.
    Not-reached runs count as infinite, so a median is "not reached" when at least
    half the seeds (rounded down) are.  Growth is relative to the group's first d.
    """
    if not rows:
        return ""
    axes = [name for name, _, _ in axis_fields() if name in rows[0]]
    varying = [k for k in axes if len({json.dumps(r.get(k)) for r in rows}) > 1]
    groups = {}
    for r in rows:
        label = " ".join([r["schedule"]] + [f"{k}={r.get(k)}" for k in varying])
        groups.setdefault(label, {}).setdefault(r["d"], []).append(r)
    width, footers = max(len("group"), *map(len, groups)), []
    lines = [
        f"{'group':<{width}} {'d':>4} {'p_long':>10} {'reached':>8} {'median N':>12} "
        f"{'measured growth':>16} {'theory growth':>14}"
    ]
    for label, by_d in sorted(groups.items()):
        schedule = next(iter(by_d.values()))[0]["schedule"]
        sched = None if schedule.startswith("p=") else parse_schedule(schedule)
        base, fitted = None, []
        for d in sorted(by_d):
            runs = by_d[d]
            values = [r["samples_to_generalise"] if r["reached"] else math.inf for r in runs]
            med = statistics.median(values)
            reached = sum(r["reached"] for r in runs)
            if math.isfinite(med):
                base = base or (d, med)
                fitted.append((d, med))
            measured = f"x{med / base[1]:.3g}" if base and math.isfinite(med) else "-"
            predicted = sched.predicted_growth(d, base[0]) if sched and base else None
            lines.append(
                f"{label:<{width}} {d:>4} {runs[0]['p_long']:>10.4g} {f'{reached}/{len(runs)}':>8} "
                f"{(f'{med:,.0f}' if math.isfinite(med) else 'not reached'):>12} {measured:>16} "
                f"{('-' if predicted is None else f'x{predicted:.3g}'):>14}"
            )
        exponents = sched.growth_exponents(*zip(*fitted)) if sched and fitted else None
        if exponents:
            form = "d^{:.2f}" if sched.kind == "poly" else "2^({:.3f} d)"
            footers.append(
                f"{label}: measured N ~ {form.format(exponents[0])}, theory's sufficient "
                f"N ~ {form.format(exponents[1])} (fit over the reached medians)"
            )
    return "\n".join(lines + footers) + "\n"
