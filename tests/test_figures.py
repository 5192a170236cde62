"""Every figure function runs and writes non-empty files (``--quick``: a smoke test)."""

import json

from linparity import figures


def test_quick_figures_are_written(tmp_path, capsys):
    assert figures.main(["--quick", "--quiet", "--out", str(tmp_path)]) == 0
    for name in figures.FIGURES:
        for ext in ("png", "pdf"):
            assert (tmp_path / f"{name}.{ext}").stat().st_size > 1000
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary) == set(figures.FIGURES)


def test_bad_figure_name_is_one_line_and_exit_2(tmp_path, capsys):
    assert figures.main(["no_such_figure", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no_such_figure" in err
