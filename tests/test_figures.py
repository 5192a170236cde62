"""The figures: computed and stored (``--quick``), redrawn from stored data alone (``--replot``).

The replot tests use the committed ``figures/data``: they check that the committed
``figures/summary.json`` is what that data gives, with every simulation disabled.
"""

import copy
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from linparity import figures, ntp
from linparity.figures import compute, plot, store, summary

COMMITTED = pathlib.Path(__file__).resolve().parents[1] / "figures"


def _no_simulation(monkeypatch):
    """Make every way of simulating raise: a replot that tried would fail."""

    def forbidden(*args, **kwargs):
        raise AssertionError("a replot ran a simulation")

    monkeypatch.setattr(compute, "run", forbidden)
    monkeypatch.setattr(ntp, "Algorithm3", forbidden)
    monkeypatch.setattr(ntp, "pretrain", forbidden)
    for name, spec in list(figures.FIGURES.items()):
        monkeypatch.setitem(figures.FIGURES, name, spec._replace(compute=forbidden))


def _assert_images(out):
    for name in figures.FIGURES:
        for ext in ("png", "pdf"):
            assert (out / f"{name}.{ext}").stat().st_size > 1000


@pytest.mark.slow
def test_quick_figures_are_computed_stored_and_drawn(tmp_path):
    assert figures.main(["--quick", "--quiet", "--out", str(tmp_path)]) == 0
    _assert_images(tmp_path)
    for name in figures.FIGURES:
        record = store.read(str(tmp_path), name)
        assert record["quick"] and record["seeds"] == [0] and record["tables"]
    written = json.loads((tmp_path / "summary.json").read_text())
    assert set(written) == set(figures.FIGURES)
    assert "--replot" in (tmp_path / "README.md").read_text()


def _assert_same_numbers(got, want, path="summary"):
    """Same structure and values; floats to 1e-12 relative. The fits go through LAPACK,
    whose last bits move between numpy builds (numpy 2.4.6 moved them by ~1e-15 relative
    against the committed summary); a replot of other data moves them by far more."""
    assert type(got) is type(want), path
    if isinstance(want, dict):
        assert set(got) == set(want), path
        for k in want:
            _assert_same_numbers(got[k], want[k], f"{path}/{k}")
    elif isinstance(want, list):
        assert len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same_numbers(g, w, f"{path}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300, nan_ok=True), path
    else:
        assert got == want, path


def test_replot_draws_the_committed_data_without_simulating(tmp_path, monkeypatch):
    shutil.copytree(COMMITTED / "data", tmp_path / "data")
    _no_simulation(monkeypatch)
    assert figures.main(["--replot", "--quiet", "--out", str(tmp_path)]) == 0
    _assert_images(tmp_path)
    redrawn = json.loads((tmp_path / "summary.json").read_text())
    committed = json.loads((COMMITTED / "summary.json").read_text())
    _assert_same_numbers(redrawn, committed)
    assert (tmp_path / "README.md").read_text() == (COMMITTED / "README.md").read_text()


def test_replot_without_data_is_one_line_naming_the_figure(tmp_path, capsys):
    assert figures.main(["--replot", "star_recursion", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "star_recursion" in err and "no data file" in err


@pytest.fixture(scope="module")
def fig1():
    return store.read(str(COMMITTED), "accuracy_vs_samples")


def test_a_missing_series_raises_naming_figure_and_series(fig1):
    record = copy.deepcopy(fig1)
    record["tables"]["curve"] = [r for r in record["tables"]["curve"] if r["series"] != "grpo"]
    for make in (plot.accuracy_vs_samples, summary.accuracy_vs_samples):
        with pytest.raises(store.MissingDataError, match="accuracy_vs_samples.*series='grpo'") as info:
            make(record)
        assert info.value.figure == "accuracy_vs_samples" and "grpo" in info.value.series


def test_a_series_without_values_raises(fig1):
    record = copy.deepcopy(fig1)
    for row in record["tables"]["curve"]:
        if row["series"] == "star":
            row["greedy_accuracy"] = None
    with pytest.raises(store.MissingDataError, match="series='star'.*greedy_accuracy"):
        plot.accuracy_vs_samples(record)


def test_a_missing_table_raises():
    record = store.read(str(COMMITTED), "ablations")
    del record["tables"]["final"]
    with pytest.raises(store.MissingDataError, match="ablations.*no table 'final'"):
        plot.render(plot.ablations, record)


def test_store_round_trips_and_refuses_nan(tmp_path):
    record = {"figure": "f", "parameters": {"d": 3}, "tables": {"t": [{"x": 0.1, "y": None}]}}
    store.write(str(tmp_path), record)
    assert store.read(str(tmp_path), "f") == record
    record["tables"]["t"][0]["y"] = float("nan")
    with pytest.raises(ValueError):
        store.write(str(tmp_path), record)


def test_run_cache_shares_a_configuration():
    calls = []
    cache = compute.RunCache(runner=lambda cfg, show_progress: calls.append(cfg) or {"d": cfg.d})
    assert cache.run(d=4, p_long=0.5) is cache.run(p_long=0.5, d=4)
    assert len(calls) == 1


def test_importing_selects_no_backend():
    code = (
        "import sys, matplotlib, linparity.figures; "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "assert matplotlib.rcParams._get_backend_or_none() is None, 'backend selected'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=COMMITTED.parent)


def test_bad_figure_name_is_one_line_and_exit_2(tmp_path, capsys):
    assert figures.main(["no_such_figure", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no_such_figure" in err


def test_replot_takes_no_quick(tmp_path, capsys):
    assert figures.main(["--replot", "--quick", "--out", str(tmp_path)]) == 2
    assert "--replot" in capsys.readouterr().err


def _law_rows(law, ds=(8, 16, 32), ps=(0.3, 0.1, 0.03), seeds=(0, 1), **extra):
    C, a, beta = law
    return [
        {"d": d, "p_long": p, "seed": s, "reached": True, "n_min": C * d**a * p**-beta, "monotone": True, **extra}
        for d in ds
        for p in ps
        for s in seeds
    ]


def test_phase_diagram_boundary_is_where_the_fitted_law_meets_the_budget():
    record = {"figure": "phase_diagram", "parameters": {"d": [8, 64], "budget": 10**7}, "tables": {}}
    record["tables"]["law"] = _law_rows((50.0, 2.0, 0.8))
    boundary, law = summary.law_boundary(record)
    assert law["a"] == pytest.approx(2.0) and law["beta"] == pytest.approx(0.8)
    assert boundary == pytest.approx([(50.0 * d**2 / 10**7) ** (1 / 0.8) for d in (8, 64)], rel=1e-9)


def test_thresholds_law_comes_from_the_fixed_p_grid_alone():
    """The schedules' own points never enter the law that predicts them."""
    law_rows = _law_rows((40.0, 2.0, 0.9), series="law")
    sched = [
        {"d": d, "p_long": p, "seed": s, "reached": True, "n_min": 1e3 * d**5, "monotone": True, "series": name}
        for name, p_of in (("poly", lambda d: 1 / d), ("exp", lambda d: 2 ** (-d / 4)))
        for d in (8, 16, 32)
        for p in [p_of(d)]
        for s in (0, 1)
    ]
    record = {"figure": "thresholds", "parameters": {}, "tables": {"points": law_rows + sched}}
    law, along = summary.threshold_law(record)
    assert law["a"] == pytest.approx(2.0) and law["beta"] == pytest.approx(0.9)
    assert along["poly"]["growth"] == pytest.approx(2.9)  # a + kappa beta, not the points' 5
    numbers = summary.thresholds(record)
    assert numbers["poly"]["measured"] == pytest.approx(5.0)
