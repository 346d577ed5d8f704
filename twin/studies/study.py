"""Running a study in blocks: checkpoints, progress, and a serial or Dask executor.

A study (:mod:`twin.studies.sweep`, :mod:`twin.studies.ensemble`) is a list of *blocks*, each one vectorised
call of the engine on many cases that returns ``{name: (cases,) array}``. This module runs
the blocks that are not done yet — in this process or on a ``dask.distributed`` cluster —
stores each finished block in a checkpoint directory (one file per block, written atomically)
and reports progress on stderr. The result never depends on where or in which order the
blocks ran: the partition into blocks is fixed by the study, not by the executor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from twin.core.fmt import number
from twin.core.io import OutputError, atomic_write
from twin.core.params import ConfigError

__all__ = ["Checkpoint", "ClusterError", "Progress", "cluster", "fingerprint", "run_blocks"]


class ClusterError(ConfigError):
    """A Dask cluster that cannot be started or reached."""


def fingerprint(spec: Any) -> str:
    """A stable hash of a study's definition (JSON of it, keys sorted)."""
    text = json.dumps(spec, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


SPEC_PARTS = {
    "kind": "the command (sweep or ensemble)",
    "scenario": "the scenario (its sites, designs, grid or fields)",
    "list": "the case list",
    "block": "--block",
    "seeds": "--seeds",
    "warming": "--warming",
    "kernel": "--kernel",
}
"""What a study definition's top-level keys are to a user, for a checkpoint's refusal."""


def spec_parts(spec: Any) -> dict[str, str]:
    """The fingerprint of each top-level part of a study's definition (a mapping), so that a
    checkpoint of another study can say which part differs."""
    return {k: fingerprint(v) for k, v in spec.items()} if isinstance(spec, dict) else {}


class Checkpoint:
    """A directory of finished blocks next to a study's output: ``OUT.nc.checkpoint/``.

    ``study.json`` holds the study's fingerprint; ``block-NNNNNN.npz`` one finished block each,
    written through a temporary file and renamed (a block is there whole or not at all). A
    restarted study loads the finished blocks instead of computing them again; a checkpoint
    of a *different* study is an error (or discarded with ``force``).
    """

    def __init__(self, path: str | Path, spec: Any, *, force: bool = False) -> None:
        self.path = Path(path)
        self.key = key = fingerprint(spec)
        parts = spec_parts(spec)
        meta = self.path / "study.json"
        if self.path.exists():
            try:
                saved = json.loads(meta.read_text(encoding="utf-8"))
                old, old_parts = saved["fingerprint"], saved.get("parts", {})
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                old, old_parts = None, {}
            if old != key:
                if not force:
                    resume = "" if old is None else "run the same command as before to resume it, or "
                    raise OutputError(
                        f"{self.path} is {_other_study(old, old_parts, parts)}; {resume}remove it or pass "
                        "--force to discard it"
                    )
                shutil.rmtree(self.path)
        if not self.path.exists():
            if not self.path.parent.is_dir():
                raise OutputError(f"{self.path}: directory {self.path.parent} does not exist")
            self.path.mkdir()
            text = json.dumps({"fingerprint": key, "parts": parts})
            atomic_write(meta, lambda p: p.write_text(text, encoding="utf-8"))

    def _file(self, i: int) -> Path:
        return self.path / f"block-{i:06d}.npz"

    def done(self) -> set[int]:
        """Indices of the finished blocks."""
        return {int(p.stem.split("-")[1]) for p in self.path.glob("block-*.npz")}

    def save(self, i: int, result: dict[str, np.ndarray]) -> None:
        """Store block ``i`` atomically."""

        def write(p: Path) -> None:
            with p.open("wb") as fh:
                np.savez(fh, **result)  # type: ignore[arg-type]

        atomic_write(self._file(i), write, force=True)

    def load(self, i: int) -> dict[str, np.ndarray]:
        """Block ``i`` as it was saved."""
        with np.load(self._file(i)) as z:
            return {k: z[k] for k in z.files}

    def remove(self) -> None:
        """Delete the checkpoint (after the study's output is written)."""
        shutil.rmtree(self.path, ignore_errors=True)


def _other_study(old: str | None, old_parts: Any, parts: dict[str, str]) -> str:
    """What a checkpoint whose fingerprint differs is, in a user's terms."""
    if old is None:
        return "unreadable as a checkpoint"
    if not isinstance(old_parts, dict) or not old_parts:  # written before the parts were kept
        return "the checkpoint of another study (its scenario, sites, grid, seeds, --block or --kernel differ)"
    keys = [k for k in SPEC_PARTS if k in parts or k in old_parts]
    keys += sorted((set(parts) | set(old_parts)) - set(SPEC_PARTS))
    differ = [SPEC_PARTS.get(k, k) for k in keys if parts.get(k) != old_parts.get(k)]
    if not differ:  # every part's fingerprint is this study's, the whole one not: study.json was edited
        return "a checkpoint whose study.json does not match its own parts"
    return f"the checkpoint of another study ({', '.join(differ)} differ{'s' if len(differ) == 1 else ''})"


class Progress:
    """A one-line progress bar on a terminal stream; silent when the stream is not a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total, self.label, self.t0 = total, label, time.monotonic()

    def show(self, done: int) -> None:
        """Draw the bar for ``done`` of ``total`` blocks."""
        if not self.active:
            return
        frac = done / self.total if self.total else 1.0
        bar = "#" * int(30 * frac)
        dt = time.monotonic() - self.t0
        eta = f", {dt / frac - dt:.0f} s left" if 0 < frac < 1 else ""
        self.stream.write(f"\r{self.label} [{bar:<30}] {done}/{self.total} blocks, {dt:.0f} s{eta} ")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None, timeout_s: float = 3.0) -> Iterator[Any]:
    """A ``dask.distributed.Client``, or ``None`` for a serial run.

    Parameters
    ----------
    workers : int, optional
        Start a ``LocalCluster`` of this many single-threaded worker processes on 127.0.0.1
        (never on a public interface), with ``TWIN_THREADS=1`` so a worker uses one core, and
        :func:`twin.core.runtime.keep_freed_memory` in each (Dask's nanny otherwise makes glibc
        return every freed temporary to the kernel, and each new one pays its page faults).
    scheduler : str, optional
        Address of a running scheduler, ``tcp://host:port``; its workers need ``twin``
        installed (their processes are not ours to tune: start them with
        ``MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824`` for the same
        effect). Unreachable within ``timeout_s`` → :class:`ClusterError`.
    """
    if workers is not None and scheduler is not None:
        raise ClusterError("give --workers N (a local cluster) or --scheduler ADDRESS, not both")
    if workers is None and scheduler is None:
        yield None
        return
    if workers is not None and workers < 1:
        raise ClusterError(f"--workers = {workers} must be ≥ 1")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://")):
        raise ClusterError(f"--scheduler = {scheduler!r} must look like tcp://host:port")
    try:
        import logging

        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("Dask is not installed: pip install 'dask[distributed]'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"--scheduler {scheduler}: no scheduler answered within {number(timeout_s)} s ({exc})"
            ) from None
        except ValueError as exc:  # an address Dask cannot parse (tcp:// without a host or port)
            raise ClusterError(f"--scheduler = {scheduler!r}: {exc}; give tcp://host:port") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # the HTTP servers too: never on a public interface
            worker_dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            env={"TWIN_THREADS": "1"},
        ) as lc,
        Client(lc) as client,
    ):
        from twin.core.runtime import keep_freed_memory

        client.run(keep_freed_memory)  # processes this cluster owns: as the CLI does for its own
        client.run(_one_task_at_a_time)  # one thread each: a task may pause the collector (_task)
        yield client


_ONE_TASK_AT_A_TIME = [False]


def _one_task_at_a_time() -> None:
    """Mark this process as one that runs one task at a time (a worker process of
    :func:`cluster`'s local cluster, ``threads_per_worker=1``), so that :func:`_task` may pause
    the cyclic collector for a task's run."""
    _ONE_TASK_AT_A_TIME[0] = True


def _task(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` as a Dask task. In a process that runs one task at a time the cyclic garbage
    collector is paused for the task, as :func:`twin.engine.simulate.annual_kpis` pauses it in a
    main thread (a task runs in a worker's thread, which ``annual_kpis`` leaves alone): measured
    with ``gc.callbacks``, 20 tasks of 1,000 free-air cases paid ≈ 145 collections per worker,
    one of them full (≈ 25 ms per task). Workers of another scheduler (``--scheduler``), which
    may run several tasks at once, are not marked and keep their collector running."""
    from twin.engine.simulate import _cyclic_gc_paused

    with _cyclic_gc_paused(any_thread=_ONE_TASK_AT_A_TIME[0]):
        return fn(*args)


def run_blocks(
    fn: Callable[..., dict[str, np.ndarray]],
    blocks: Sequence[tuple],
    *,
    shared: tuple = (),
    checkpoint: Checkpoint | None = None,
    client: Any = None,
    progress: Progress | None = None,
    on_block: Callable[[int], None] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Results of ``fn(*shared, *blocks[i])`` for every block, in block order.

    Parameters
    ----------
    fn : callable
        A module-level function (Dask pickles it) returning ``{name: array}``.
    blocks : sequence of tuple
        The arguments of each block.
    shared : tuple
        Arguments common to every block (e.g. the weather): sent to each Dask worker once.
    checkpoint : Checkpoint, optional
        Finished blocks found there are loaded, not computed (one line on stderr says how many);
        new ones are saved there.
    client : dask.distributed.Client, optional
        Run the blocks as Dask tasks (one task per block); ``None`` runs them here in order.
    progress : Progress, optional
        Updated after every block.
    on_block : callable, optional
        Called with the index of every block just finished and saved (tests interrupt here).
    """
    results: list[dict[str, np.ndarray] | None] = [None] * len(blocks)
    done = checkpoint.done() if checkpoint is not None else set()
    for i in sorted(done):
        if i < len(blocks):
            results[i] = checkpoint.load(i)  # type: ignore[union-attr]  # done is empty without one
    todo = [i for i in range(len(blocks)) if results[i] is None]
    count = len(blocks) - len(todo)
    if count and checkpoint is not None:  # say so: a resumed study otherwise looks like a fresh one
        print(
            f"resuming from {checkpoint.path}: {count} of {len(blocks)} blocks done, {len(todo)} to run",
            file=sys.stderr,
        )
    if progress is not None:
        progress.show(count)

    def finish(i: int, r: dict[str, np.ndarray]) -> None:
        nonlocal count
        results[i] = r
        if checkpoint is not None:
            checkpoint.save(i, r)
        count += 1
        if progress is not None:
            progress.show(count)
        if on_block is not None:
            on_block(i)

    if client is None:
        for i in todo:
            finish(i, fn(*shared, *blocks[i]))
    elif todo:
        from dask.distributed import as_completed

        remote = [client.scatter(s, broadcast=True) for s in shared]
        futures = [client.submit(_task, fn, *remote, *blocks[i], pure=False) for i in todo]
        index = {f.key: i for f, i in zip(futures, todo, strict=True)}
        try:
            for f, r in as_completed(futures, with_results=True):
                finish(index[f.key], r)
        finally:
            client.cancel(futures)
    return results  # type: ignore[return-value]
