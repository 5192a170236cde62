"""Running a sweep's runs on Dask (a local cluster or a running scheduler), resumably."""

import json
import logging
import os

from ..output import TMP_PREFIX, write_atomic
from ..progress import Progress
from .grid import run_key
from .store import load_run


def run_one(spec):
    """Run one grid point (on a worker); return the simulate result plus a ``sweep`` section."""
    import numba

    from ..config import SimulationConfig
    from ..evaluate import samples_to_generalise
    from ..experiment import run

    result = run(SimulationConfig(**spec["config"]), show_progress=False)
    result["sweep"] = {
        "key": run_key(spec),
        "spec": spec,
        "generalised": samples_to_generalise(result, spec["budget"], spec["threshold"]),
        "numba_threads": numba.get_num_threads(),
    }
    return result


class RunsProgress:
    """Runs done of a sweep: a bar on a TTY, one line per run otherwise; failures always shown.

    The bar is :class:`linparity.progress.Progress` (counting runs, resumed ones
    included); the per-run lines go above it.
    """

    def __init__(self, total, resumed, quiet, stream=None):
        self.quiet = quiet
        self.total, self.resumed, self.done, self.failed = total, resumed, 0, 0
        self.bar = Progress(
            "sweep",
            total,
            unit="runs",
            enabled=not quiet,
            stream=stream,
            initial=resumed,
            delay=0.0,
            every=0.0,
            scale=False,
        )
        self.stream = self.bar.stream
        self.bar.note(self._counts())

    def _counts(self):
        return f"{self.resumed} resumed, {self.failed} failed"

    def finished(self, spec, message, failed=False):
        self.failed += failed
        self.done += not failed
        # On a TTY the bar says how far the sweep is; lines are for logs, and for
        # failures, which are errors and shown even with --quiet.
        if (not self.quiet and not self.bar.enabled) or failed:
            c = spec["config"]
            line = (
                f"[{self.resumed + self.done}/{self.total}] d={c['d']} p_long={c['p_long']:g} "
                f"seed={c['seed']} rl={c.get('rl')} {spec['schedule']}: {message}"
            )
            if self.bar.enabled:
                self.bar.write(line)
            else:
                self.stream.write(line + "\n")
        self.bar.note(self._counts())
        self.bar(self.resumed + self.done + self.failed)

    def close(self):
        self.bar.close()


def _describe(result):
    g = result["sweep"]["generalised"]
    return f"generalised after {g['samples']:,} samples ({g['stage']})" if g["reached"] else "not reached"


def _client(scheduler, workers):
    """A dask Client: to ``scheduler``, or to a LocalCluster of single-threaded processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler, timeout="10s")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,  # any free port
        env={"NUMBA_NUM_THREADS": "1"},
    )  # set in each process before numba loads
    return Client(cluster)


def run_sweep(specs, out_dir, *, scheduler=None, workers=1, quiet=False):
    """Run the specs that have no valid file in ``out_dir``; return ``(done, resumed, failed)``.

    Completed runs are skipped; missing and corrupted ones are (re)done.  Results are
    written here, one atomic file each, as they arrive from the workers.
    """
    for name in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
        if name.startswith(TMP_PREFIX):  # a write that a kill interrupted
            os.unlink(os.path.join(out_dir, name))
    todo = [s for s in specs if load_run(os.path.join(out_dir, run_key(s) + ".json"), run_key(s)) is None]
    if not todo:
        os.makedirs(out_dir, exist_ok=True)
    bar = RunsProgress(len(specs), len(specs) - len(todo), quiet)
    if todo:
        from distributed import as_completed

        with _client(scheduler, workers) as client:
            os.makedirs(out_dir, exist_ok=True)  # only once there is somewhere to run
            futures = {client.submit(run_one, s, key=f"linparity-run-{run_key(s)}", pure=False): s for s in todo}
            try:
                for future in as_completed(futures):
                    spec = futures[future]
                    try:
                        result = future.result()
                    except Exception as exc:  # a failed run is reported and redone next time
                        bar.finished(spec, f"failed: {type(exc).__name__}: {exc}", failed=True)
                        continue
                    write_atomic(os.path.join(out_dir, run_key(spec) + ".json"), json.dumps(result, indent=2) + "\n")
                    bar.finished(spec, _describe(result))
            finally:
                client.cancel(list(futures))
                cluster = client.cluster
                if cluster is not None:
                    cluster.close()
    bar.close()
    return bar.done, bar.resumed, bar.failed
