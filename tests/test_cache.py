"""``python -m linparity.cache``: it finds the files numba really writes, and clears them."""

import os
import subprocess
import sys

from linparity import cache


def test_finds_and_clears_what_numba_writes_under_numba_cache_dir(tmp_path, monkeypatch):
    where = tmp_path / "numba-cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(where))
    code = "from linparity.task import draw_prompts, stream_key; draw_prompts(3, 4, key=stream_key(0, 1))"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=os.path.dirname(cache.PACKAGE))
    written = sorted(str(p) for p in where.rglob("*") if p.suffix in cache.SUFFIXES)
    assert written, "numba wrote no cache file"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(where))
    found = cache.cache_files()
    assert set(written) <= set(found)
    # Only the temporary cache is cleared here, not the developer's warm one.
    monkeypatch.setattr(cache, "cache_dirs", lambda: [str(where)])
    assert cache.clear() == len(written)
    assert not [p for p in where.rglob("*") if p.suffix in cache.SUFFIXES]


def test_cli_reports_and_bad_flags_exit_2(capsys):
    assert cache.main([]) == 0
    assert "cached kernel file(s)" in capsys.readouterr().out
    proc = subprocess.run(
        [sys.executable, "-m", "linparity.cache", "--bogus"],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(cache.PACKAGE),
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
