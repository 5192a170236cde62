"""Running a sweep's runs on Dask (a local cluster or a running scheduler), resumably."""

import json
import logging
import os
import warnings

from ..output import TMP_PREFIX, write_atomic
from ..progress import Progress
from .grid import run_key
from .store import InvalidRun, check_run, load_run


class SchedulerError(Exception):
    """The Dask scheduler's address is malformed or it cannot be reached (bad input, exit 2)."""


class OutputError(Exception):
    """A file of the sweep could not be written (disk full, permissions): the sweep stops."""


def run_one(spec):
    """Run one grid point (on a worker); return the simulate result plus a ``sweep`` section.

    The simulator's warnings are recorded in ``sweep.warnings``, not printed.  A run
    that raises returns ``{"error": "Type: message"}`` instead: the error is the run's
    outcome, reported by the sweep process in one line and counted as failed.  Raised
    on the worker, Dask would log a multi-line "Compute Failed" block there, and on a
    remote cluster that log is out of the sweep's hands.
    """
    # The simulator's numpy warnings (an overflow, say) would be printed by every
    # worker, several lines each; they are kept in the run file instead.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # once per place, as usual
        try:
            result = _run(spec)
        except Exception as exc:  # every failure of the simulator, MemoryError included
            return {"error": f"{type(exc).__name__}: {exc}"}
    result["sweep"]["warnings"] = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return result


def _run(spec):
    from ..config import SimulationConfig
    from ..experiment import run

    return with_sweep_section(run(SimulationConfig(**spec["config"]), show_progress=False), spec)


def with_sweep_section(result, spec):
    """``result`` (a simulate record) with the ``sweep`` section a run file holds for ``spec``.

    The one place that says what a sweep adds to a run: its key, its spec, when it
    generalised under the spec's budget and threshold, and the numba threads it ran on.
    Also used where a sweep's runs are computed in process (the figures' searches).
    """
    import numba

    from ..evaluate import samples_to_generalise

    result["sweep"] = {
        "key": run_key(spec),
        "spec": spec,
        "generalised": samples_to_generalise(result, spec["budget"], spec["threshold"]),
        "numba_threads": numba.get_num_threads(),
    }
    return result
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
                f"[{self.resumed + self.done + self.failed}/{self.total}] d={c['d']} p_long={c['p_long']:g} "
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
    """A dask Client: to ``scheduler``, or to a LocalCluster of single-threaded processes.

    Raises :class:`SchedulerError` (one line) if ``scheduler`` is malformed or unreachable.
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:  # a bad address is a ValueError, no answer an OSError
            raise SchedulerError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port
        # The sweep reports every failure itself, in one line; the workers' own logs
        # (a lost worker, a restart) would only repeat it at length.
        silence_logs=logging.CRITICAL,
        env={"NUMBA_NUM_THREADS": "1"},  # set in each process before numba loads
    )
    return Client(cluster)


def _run_text(result):
    """The file text of a worker's result; InvalidRun if it would not load back (then the run failed).

    Checked before writing, so that every file written is one :func:`load_run` accepts:
    a NaN in a metric, say, fails the run here rather than making it redone forever.
    """
    check_run(result)
    try:
        return json.dumps(result, indent=2, allow_nan=False) + "\n"
    except ValueError as exc:
        raise InvalidRun(str(exc)) from None


def _write(path, text):
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _one_line(text):
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def _failure(exc):
    """One line for a future that raised: a worker lost too often (KilledWorker), a cancellation."""
    text = _one_line(exc)
    return f"failed: {type(exc).__name__}: {text}" if text else f"failed: {type(exc).__name__}"


def _prepare(out_dir):
    """Create ``out_dir`` and remove the temporary files that a kill left in it."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        for name in os.listdir(out_dir):
            if name.startswith(TMP_PREFIX):  # a write that a kill interrupted
                os.unlink(os.path.join(out_dir, name))
    except OSError as exc:
        raise OutputError(f"--out {out_dir}: {exc.strerror or exc}") from None


def run_sweep(specs, out_dir, *, scheduler=None, workers=1, quiet=False):
    """Run the specs that have no valid file in ``out_dir``; return ``(done, resumed, failed)``.

    Completed runs are skipped; missing and invalid ones are (re)done.  Results are
    written here, one atomic file each, as they arrive from the workers.  A run that
    fails (its error, a result that is not a valid run, a worker lost too often) is
    reported in one line and counted; it is not retried, since it would fail the same
    way.  Raises :class:`SchedulerError` if the scheduler cannot be reached (before
    ``out_dir`` is created) and :class:`OutputError` if a file cannot be written.
    """
    todo = [s for s in specs if load_run(os.path.join(out_dir, run_key(s) + ".json"), run_key(s)) is None]
    bar = RunsProgress(len(specs), len(specs) - len(todo), quiet)
    if not todo:
        _prepare(out_dir)
    else:
        from distributed import as_completed

        with _client(scheduler, workers) as client:
            _prepare(out_dir)  # only once there is somewhere to run
            futures = {
                client.submit(run_one, s, key=f"linparity-run-{run_key(s)}", pure=False, retries=0): s for s in todo
            }
            try:
                for future in as_completed(futures):
                    _receive(future, futures[future], out_dir, bar)
            finally:
                # The client first, as run_adaptive does: a client closed after its
                # cluster may log the lost connection on stderr, past the one line.
                client.cancel(list(futures))
                cluster = client.cluster
                client.close()
                if cluster is not None:
                    cluster.close()
    bar.close()
    return bar.done, bar.resumed, bar.failed


def _receive(future, spec, out_dir, bar):
    """Store one finished future's run, or report its failure in one line."""
    result, message = _collect(future, spec, out_dir)
    bar.finished(spec, message, failed=result is None)


def run_adaptive(driver, out_dir, *, scheduler=None, workers=1, on_result=None):
    """Run the specs a ``driver`` asks for, as it asks, resumably; return ``(ran, resumed, failed)``.

    For searches whose next run depends on the last one (the minimal-budget search
    of :mod:`linparity.complexity`).  ``driver.wanted()`` lists the specs it needs
    now; each is answered with ``driver.tell(spec, result)``, ``result`` the stored
    run (its file under ``out_dir``, if valid: nothing is recomputed) or ``None`` if
    the run failed; ``on_result(spec, result, message)`` is called for every answer
    computed now (``message`` says what happened, in one line).  Ends when the driver
    asks for nothing that is not already in flight.  The cluster (``scheduler`` or a
    local one of ``workers`` processes) is started only if something has to run;
    files are written atomically as results arrive, so a kill loses at most the
    runs in flight.  Raises :class:`SchedulerError` and :class:`OutputError` as
    :func:`run_sweep` does.
    """
    ran = resumed = failed = 0
    in_flight, client, queue = {}, None, None
    _prepare(out_dir)
    try:
        while True:
            progressed = True
            while progressed:  # answer from disk whatever can be, before submitting
                progressed = False
                for spec in driver.wanted():
                    key = run_key(spec)
                    if key in in_flight:
                        continue
                    stored = load_run(os.path.join(out_dir, key + ".json"), key)
                    if stored is not None:
                        driver.tell(spec, stored)
                        resumed += 1
                        progressed = True
                        continue
                    if client is None:
                        from distributed import as_completed

                        client = _client(scheduler, workers)
                        queue = as_completed()
                    future = client.submit(run_one, spec, key=f"linparity-run-{key}", pure=False, retries=0)
                    in_flight[key] = (future, spec)
                    queue.add(future)
            if not in_flight:
                return ran, resumed, failed
            future = next(queue)
            key = next(k for k, (f, _) in in_flight.items() if f is future)
            _, spec = in_flight.pop(key)
            result, message = _collect(future, spec, out_dir)
            if result is None:
                failed += 1
            else:
                ran += 1
            driver.tell(spec, result)
            if on_result is not None:
                on_result(spec, result, message)
    finally:
        if client is not None:
            client.cancel([f for f, _ in in_flight.values()])
            cluster = client.cluster
            client.close()
            if cluster is not None:
                cluster.close()


def _collect(future, spec, out_dir):
    """A finished future's run, stored; ``(result, message)``, result None if it failed."""
    try:
        result = future.result()
    except Exception as exc:
        return None, _failure(exc)
    if "error" in result:
        return None, f"failed: {_one_line(result['error'])}"
    try:
        text = _run_text(result)
    except InvalidRun as exc:
        return None, f"failed: invalid result ({exc})"
    _write(os.path.join(out_dir, run_key(spec) + ".json"), text)
    return result, _describe(result)
