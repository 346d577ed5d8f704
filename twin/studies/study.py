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
import fcntl
import functools
import hashlib
import io
import json
import os
import re
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np

from twin.core.fmt import number
from twin.core.io import OutputError, atomic_write
from twin.core.params import ConfigError

__all__ = [
    "Checkpoint",
    "CheckpointInUse",
    "ClusterError",
    "DamagedBlock",
    "Progress",
    "cluster",
    "fingerprint",
    "run_blocks",
    "scheduler_address",
]


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


class CheckpointInUse(OutputError):
    """A checkpoint another process holds (its lock): a second study on the same output."""


class DamagedBlock(ValueError):
    """A block file of a checkpoint that is not used: unreadable, of the wrong shape or
    variables, or its digest does not match."""


BLOCK_FILE = re.compile(r"^block-(\d{6,})(?:-([0-9a-f]{64}))?\.npz$")
"""A block's file name: ``block-NNNNNN-SHA256.npz`` (``block-NNNNNN.npz``: written before blocks
had a digest)."""

LOCK_FILE = ".lock"
"""The file inside a checkpoint a study holds an ``flock`` on while it runs."""


class Checkpoint:
    """A directory of finished blocks next to a study's output: ``OUT.nc.checkpoint/``.

    ``study.json`` holds the study's fingerprint; ``block-NNNNNN-DIGEST.npz`` one finished block
    each, written through a temporary file and renamed (a block and its digest are there whole or
    not at all). The digest is the SHA-256 of the study's fingerprint, the block's number and the
    file's bytes: a block edited, cut short, or copied from another block or study does not
    match and is not used (:meth:`load`). A restarted study loads the finished blocks instead
    of computing them again; a checkpoint of a *different* study is an error (or discarded with
    ``force``).

    The study holds an exclusive ``flock`` on ``.lock`` inside the directory from here until
    :meth:`close` (or :meth:`remove`); the operating system drops it when the process ends,
    also when it is killed. A second study on the same output is refused at once
    (:class:`CheckpointInUse`), with or without ``force``.
    """

    def __init__(self, path: str | Path, spec: Any, *, force: bool = False) -> None:
        self.path = Path(path)
        self.key = key = fingerprint(spec)
        self._lock: int | None = None
        self.used: dict[int, Path] = {}
        """The file each block :meth:`load` returned was read from."""
        self.digests = True
        """Whether every block of this checkpoint has a digest in its name (False: a checkpoint
        written before blocks had one, whose ``block-NNNNNN.npz`` files are still read)."""
        parts = spec_parts(spec)
        meta = self.path / "study.json"
        if self.path.exists() and not self.path.is_dir():
            if not force:
                raise OutputError(f"{self.path} is unreadable as a checkpoint; remove it or pass --force to discard it")
            self.path.unlink()
        try:  # the output's folder is made here, once the study's inputs have been accepted
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the directory {self.path.parent} ({exc.strerror})") from None
        self.path.mkdir(exist_ok=True)
        self._hold()
        try:
            if any(p.name != LOCK_FILE for p in self.path.iterdir()):
                try:
                    saved = json.loads(meta.read_text(encoding="utf-8"))
                    old, old_parts = saved["fingerprint"], saved.get("parts", {})
                except (OSError, ValueError, KeyError, TypeError, AttributeError):
                    old, old_parts = None, {}
                if old == key:
                    self.digests = saved.get("blocks") == "digest"
                    return
                if not force:
                    resume = "" if old is None else "run the same command as before to resume it, or "
                    raise OutputError(
                        f"{self.path} is {_other_study(old, old_parts, parts)}; {resume}remove it or pass "
                        "--force to discard it"
                    )
                for p in self.path.iterdir():  # all but the lock this study holds
                    if p.name == LOCK_FILE:
                        continue
                    if p.is_dir() and not p.is_symlink():
                        shutil.rmtree(p)
                    else:
                        p.unlink()
            text = json.dumps({"fingerprint": key, "parts": parts, "blocks": "digest"})
            atomic_write(meta, lambda p: p.write_text(text, encoding="utf-8"))
        except BaseException:
            self.close()
            raise

    def _hold(self) -> None:
        """Take the study's lock, or refuse: another process runs a study on this output."""
        lock = self.path / LOCK_FILE
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError(f"{lock}: cannot create the checkpoint's lock file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            _in_use(self.path, fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock = fd

    def close(self) -> None:
        """Release the study's lock (another process may then resume the checkpoint)."""
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor drops its flock
            self._lock = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _files(self) -> Iterator[tuple[int, str | None, Path]]:
        """``(block number, digest or None, path)`` of every block file (other names are ignored)."""
        for p in self.path.iterdir():
            m = BLOCK_FILE.match(p.name)
            if m:
                yield int(m.group(1)), m.group(2), p

    def done(self) -> set[int]:
        """Numbers of the blocks with a file (:meth:`load` tells whether it can be used)."""
        return {i for i, _, _ in self._files()}

    def _digest(self, i: int, data: bytes) -> str:
        return hashlib.sha256(f"{self.key}:{i}:".encode("ascii") + data).hexdigest()

    def save(self, i: int, result: dict[str, np.ndarray]) -> None:
        """Store block ``i`` atomically, its digest in its name; other files of block ``i`` go."""
        buf = io.BytesIO()
        np.savez(buf, **result)  # type: ignore[arg-type]
        data = buf.getvalue()
        dest = self.path / f"block-{i:06d}-{self._digest(i, data)}.npz"
        atomic_write(dest, lambda p: p.write_bytes(data), force=True)
        for j, _, p in list(self._files()):
            if j == i and p != dest:
                p.unlink(missing_ok=True)

    def load(self, i: int, cases: int | None = None) -> dict[str, np.ndarray]:
        """Block ``i`` as it was saved.

        Raises
        ------
        DamagedBlock
            No file of block ``i`` can be used (the message names the file and why): unreadable
            (cut short, not an npz, pickled objects: never loaded), its digest does not match, or an
            array is not one value per case (``cases``). A block without a digest
            (``block-NNNNNN.npz``) is used only in a checkpoint written before blocks had one
            (its ``study.json`` without ``"blocks": "digest"``), checked for the last two only.
        """
        named = sorted(((d is None, p.name), p) for j, d, p in self._files() if j == i)
        files = [p for _, p in named]  # a file with a digest first
        if not files:
            raise DamagedBlock(f"{self._file(i)}: no such block")
        why = ""
        for p in files:
            try:
                out = self._read(i, p, cases)
                self.used[i] = p
                return out
            except DamagedBlock as exc:
                why = why or str(exc)
        raise DamagedBlock(why)

    def _file(self, i: int) -> Path:
        return self.path / f"block-{i:06d}.npz"

    def _read(self, i: int, p: Path, cases: int | None) -> dict[str, np.ndarray]:
        digest = BLOCK_FILE.match(p.name).group(2)  # type: ignore[union-attr]
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise DamagedBlock(f"{p}: cannot be read ({exc.strerror})") from None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                out = {k: z[k] for k in z.files}
        except Exception as exc:  # zipfile, EOF, pickled data, a bad header: all damage
            reason = " ".join(str(exc).split())[:80] or type(exc).__name__
            if "pickled" in reason or "allow_pickle" in reason:  # numpy's advice to load it is not ours
                reason = "it holds pickled Python objects, which are never loaded"
            raise DamagedBlock(f"{p}: not a readable block ({reason})") from None
        if digest is None and self.digests:
            raise DamagedBlock(
                f"{p}: has no digest in its name, which every block of this study has (put there by hand?)"
            )
        if digest is not None and self._digest(i, data) != digest:
            raise DamagedBlock(f"{p}: its content does not match its digest (edited, or copied from another block)")
        if not out:
            raise DamagedBlock(f"{p}: holds no variables")
        for k, v in out.items():
            if v.dtype.kind not in "biufUS" or v.ndim != 1 or (cases is not None and v.size != cases):
                want = "one value per case" if cases is None else f"{cases} values, one per case of the block"
                raise DamagedBlock(f"{p}: variable {k} has shape {v.shape} and type {v.dtype}; it needs {want}")
        return out

    def remove(self) -> None:
        """Delete the checkpoint (after the study's output is written) and release its lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.close()


def _in_use(path: Path, fd: int) -> NoReturn:
    """Refuse: the checkpoint ``path`` is held by another process (its lock file open as ``fd``,
    closed here; the holder's PID read from it)."""
    try:
        pid = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        pid = ""
    os.close(fd)
    output = path.with_name(path.name.removesuffix(".checkpoint"))
    who = f"process {pid}" if pid.isdigit() else "process"
    raise CheckpointInUse(
        f"{output}: another twin {who} is running a study on this output (it holds {path}); "
        "wait for it to finish or stop it, or give another output name"
    )


def refuse_if_held(path: str | Path) -> None:
    """Refuse at once (:class:`CheckpointInUse`) when another process holds the checkpoint
    ``path``; else nothing (the lock is not kept: :class:`Checkpoint` takes it). For a command to
    say so before it starts a Dask cluster."""
    lock = Path(path) / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:  # no checkpoint, or none held yet
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        _in_use(Path(path), fd)
    os.close(fd)


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


def scheduler_address(text: str) -> tuple[str, int]:
    """(host, port) of a ``--scheduler`` value, ``tcp://HOST:PORT`` (an IPv6 host in brackets);
    :class:`ClusterError` naming the value otherwise (another scheme, no port, or a port outside
    1 … 65535: TCP's range, as ``twin dash --port`` checks). ``tls://`` is refused: Dask connects
    over TLS only with a security configuration (certificates), which the twin does not take."""
    scheme, sep, rest = text.partition("://")
    if sep and scheme == "tls":
        raise ClusterError(
            f"--scheduler = {text!r}: tls:// is not supported (it needs certificates, which the twin does not "
            "take); give tcp://host:port"
        )
    if not sep or scheme != "tcp":
        raise ClusterError(f"--scheduler = {text!r} must look like tcp://host:port")
    host, colon, port = rest.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit():
        raise ClusterError(f"--scheduler = {text!r} must look like tcp://host:port (a host and a port number)")
    if not 1 <= int(port) <= 65535:
        raise ClusterError(f"--scheduler = {text!r}: port {port} is outside 1 … 65535")
    return host, int(port)


_DASK_FRAMES_MAX = 64
"""The most frames the first message of a server :func:`_probe_scheduler` takes for Dask's (its
handshake is one small mapping; an assumption with room to spare)."""


def _probe_scheduler(scheduler: str, host: str, port: int, timeout_s: float) -> None:
    """Refuse, within ``timeout_s``, a TCP server that is not a Dask scheduler.

    A Dask server writes its handshake as soon as it accepts a connection (``distributed.comm``:
    the server writes, then reads), framed as an 8-byte little-endian length of what follows,
    then the number of frames and each frame's length, 8 bytes each. So the first 16 bytes of
    a scheduler read as a length that holds the frame table and a small frame count; another
    server (an SSH banner, an HTTP server waiting for a request) says something else, closes,
    or says nothing. Raises :class:`ClusterError` naming ``scheduler``: "no scheduler answered
    within N s" (no connection, or a silent one) or "is not a Dask scheduler" (with what it said).
    """
    import socket
    import struct

    head = b""
    deadline = time.monotonic() + timeout_s
    waited = f"--scheduler {scheduler}: no scheduler answered within {number(timeout_s)} s"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as s:
            while len(head) < 16:
                s.settimeout(max(deadline - time.monotonic(), 1e-3))
                chunk = s.recv(16 - len(head))
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        if not head:
            raise ClusterError(f"{waited} (it accepted the connection and said nothing)") from None
    except OSError as exc:
        raise ClusterError(f"{waited} ({exc.strerror or exc})") from None
    if len(head) == 16:
        length, frames = struct.unpack("<QQ", head)
        if 1 <= frames <= _DASK_FRAMES_MAX and 8 * (frames + 1) <= length <= 2**26:
            return
    said = head.decode("ascii", "replace") if head.isascii() else head.hex(" ")
    what = f"it said {said.strip()!r}" if head else "it closed the connection without a word"
    raise ClusterError(f"--scheduler {scheduler} is not a Dask scheduler ({what})")


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
        effect). Unreachable within ``timeout_s``, or a server there that is not a Dask
        scheduler (:func:`_probe_scheduler`) → :class:`ClusterError`.
    """
    if workers is not None and scheduler is not None:
        raise ClusterError("give --workers N (a local cluster) or --scheduler ADDRESS, not both")
    if workers is None and scheduler is None:
        yield None
        return
    if workers is not None and workers < 1:
        raise ClusterError(f"--workers = {workers} must be ≥ 1")
    address = None if scheduler is None else scheduler_address(scheduler)
    try:
        import logging

        from dask.distributed import Client
    except ImportError:
        raise ClusterError("Dask is not installed: pip install 'dask[distributed]'") from None
    if scheduler is not None and address is not None:
        _probe_scheduler(scheduler, *address, timeout_s)
        try:
            client = Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"--scheduler {scheduler}: no scheduler answered within {number(timeout_s)} s ({exc})"
            ) from None
        except ValueError as exc:  # an address Dask cannot parse
            raise ClusterError(f"--scheduler = {scheduler!r}: {exc}; give tcp://host:port") from None
        except MemoryError:  # Dask read another protocol's bytes as a frame length
            raise ClusterError(f"--scheduler {scheduler} is not a Dask scheduler") from None
        with _QuietClose() as quiet, client, quiet.on_interrupt():  # the client closes before quiet restores
            yield client
        return
    import dask

    with contextlib.ExitStack() as stack:
        quiet = stack.enter_context(_QuietClose())  # entered first, left last: once the cluster is closed
        with quiet.on_interrupt():
            stack.enter_context(dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}))
            _forkserver_deaf_to_sigint()
            lc = stack.enter_context(
                _local_cluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # the HTTP servers too: never on a public interface
                    worker_dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                    env={"TWIN_THREADS": "1"},
                )
            )
            client = stack.enter_context(Client(lc))
            from twin.core.runtime import keep_freed_memory

            client.run(keep_freed_memory)  # processes this cluster owns: as the CLI does for its own
            client.run(_one_task_at_a_time)  # one thread each: a task may pause the collector (_task)
            client.run(_quiet_dask_logs)  # a task's error reaches this process; the workers' logs say nothing
            yield client


def _forkserver_deaf_to_sigint() -> None:
    """Start multiprocessing's fork server (the parent of a local cluster's workers, which Dask
    forks from it: ``distributed.worker.multiprocessing-method = "forkserver"``) with SIGINT
    ignored, so that it and every worker forked from it ignore SIGINT and never act on it.

    A terminal's Ctrl-C goes to the whole process group: each worker died of its own
    KeyboardInterrupt and printed its traceback, and the scheduler logged the workers' lost
    data. The study's process alone acts on it and closes the cluster, also while the cluster
    starts: SIGINT is ignored here only while the fork server is started (a fork and an exec),
    where it was ignored for the whole start of the cluster (1–7 s) and a Ctrl-C then was lost.
    The fork server keeps the disposition it was started with and gives it to each process it
    forks (``multiprocessing.forkserver``: ``SIG_IGN`` inherited across exec is what it
    restores), whatever this process's handler is when the workers start. A fork server this
    process already runs is used as it is: one started elsewhere with SIGINT acting (from another
    thread, or by the caller's own code) gives workers that act on a Ctrl-C again. The main thread
    only; the previous handler is restored.
    """
    import signal
    import threading
    from multiprocessing import forkserver

    from distributed.utils import get_mp_context

    get_mp_context()  # Dask's preloaded modules set before the server starts
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _local_cluster(**kwargs: Any) -> Iterator[Any]:
    """``LocalCluster(**kwargs)``, closed on leaving. A Ctrl-C (SIGINT) or SIGTERM while it starts
    (the workers import and connect, 1–7 s) is held until it has started, then delivered as it
    would have been (the CLI's: a KeyboardInterrupt, which closes the cluster): Dask cannot close
    a cluster half started (its close asserts that every worker has started: a SIGTERM then ended
    with Dask's traceback from its exit handler after the one line). A signal this process
    ignores stays ignored. The main thread only (elsewhere no handler can be set)."""
    import signal
    import threading

    from dask.distributed import LocalCluster

    held: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(sig) is not signal.SIG_IGN:
                previous[sig] = signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        lc = LocalCluster(**kwargs)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    with lc:
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)
        yield lc


class _QuietClose:
    """Dask's logging silenced and SIGINT ignored from :meth:`now` (a KeyboardInterrupt) until the
    block is left (the cluster closed): a Ctrl-C ends a study with the CLI's one line, not Dask's
    log of the workers and tasks it is told to drop, and a second Ctrl-C does not break off the
    closing. Everything is as it was on leaving."""

    LOGGERS = ("distributed", "tornado", "asyncio")

    def __init__(self) -> None:
        self.undo: list[Callable[[], Any]] = []

    def __enter__(self) -> _QuietClose:
        return self

    def now(self) -> None:
        import logging
        import signal
        import threading

        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self.undo.append(functools.partial(logger.setLevel, logger.level))
            logger.setLevel(logging.CRITICAL + 1)
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            self.undo.append(functools.partial(signal.signal, signal.SIGINT, previous))

    @contextlib.contextmanager
    def on_interrupt(self) -> Iterator[None]:
        """:meth:`now` when a KeyboardInterrupt leaves the block."""
        try:
            yield
        except KeyboardInterrupt:
            self.now()
            raise

    def __exit__(self, *exc: object) -> None:
        while self.undo:
            self.undo.pop()()


def _quiet_dask_logs() -> None:
    """Silence Dask's loggers in this process (a worker of :func:`cluster`'s local cluster).

    A task's exception, a worker lost or killed reach the study's process through the task's
    future and are said there in one line. The workers' own logs said nothing a user acts on and
    broke that line: a Ctrl-C on a loaded machine closed the scheduler before a worker's heartbeat
    (``distributed.worker - ERROR - Failed to communicate with scheduler during heartbeat`` and a
    traceback on the terminal). ``LocalCluster(silence_logs=...)`` sets only the nanny's logger in
    a worker process.
    """
    import logging

    prefixes = tuple(f"{name}." for name in _QuietClose.LOGGERS)
    known = [n for n in logging.root.manager.loggerDict if n.startswith(prefixes)]  # a level of their own
    for name in (*_QuietClose.LOGGERS, *known):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


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
    sizes: Sequence[int] | None = None,
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
        new ones are saved there. A block file that cannot be used (:meth:`Checkpoint.load`), or
        whose variables are not those of the other blocks, is computed again, with one warning
        (``warnings.warn``) naming the file and why.
    client : dask.distributed.Client, optional
        Run the blocks as Dask tasks (one task per block); ``None`` runs them here in order.
    progress : Progress, optional
        Updated after every block.
    on_block : callable, optional
        Called with the index of every block just finished and saved (tests interrupt here).
    sizes : sequence of int, optional
        Cases of each block: every array of a loaded block must hold that many values.
    """
    results: list[dict[str, np.ndarray] | None] = [None] * len(blocks)
    loaded = []
    for i in sorted(checkpoint.done()) if checkpoint is not None else ():
        if i < len(blocks):
            try:
                results[i] = checkpoint.load(i, None if sizes is None else sizes[i])  # type: ignore[union-attr]
                loaded.append(i)
            except DamagedBlock as exc:
                _not_used(str(exc))
    todo = [i for i in range(len(blocks)) if results[i] is None]
    count = len(blocks) - len(todo)
    if count and checkpoint is not None:  # say so: a resumed study otherwise looks like a fresh one
        print(
            f"resuming from {checkpoint.path}: {count} of {len(blocks)} blocks done, {len(todo)} to run",
            file=sys.stderr,
        )
    if progress is not None:
        progress.show(count)

    saved: set[int] = set()

    def finish(i: int, r: dict[str, np.ndarray]) -> None:
        nonlocal count
        results[i] = r
        if checkpoint is not None:
            checkpoint.save(i, r)
            saved.add(i)
        count += 1
        if progress is not None:
            progress.show(count)
        if on_block is not None:
            on_block(i)

    def compute(todo: list[int]) -> None:
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

    try:
        compute(todo)
    except KeyboardInterrupt as exc:  # said in one line by the CLI: "twin: interrupted; 3 of 153 blocks kept …"
        if checkpoint is None or exc.args:
            raise
        kept = len(loaded) + len(saved) + _usable(checkpoint, [i for i in todo if i not in saved], sizes)
        raise KeyboardInterrupt(
            f"{kept} of {len(blocks)} blocks kept in {checkpoint.path}; run the same command to resume"
        ) from None
    if loaded:  # the variables every block has: a computed block's, else most loaded blocks'
        sets = [frozenset(r or ()) for r in results]
        ref = [v for i, v in enumerate(sets) if i not in loaded] or [sets[i] for i in loaded]
        names = max(set(ref), key=ref.count)
        again = [i for i in loaded if sets[i] != names]
        for i in again:
            missing, extra = sorted(names - sets[i]), sorted(sets[i] - names)
            what = f"lacks {', '.join(missing)}" if missing else f"has variables no other block has: {', '.join(extra)}"
            _not_used(f"{checkpoint.used[i]}: {what}")  # type: ignore[union-attr]
            count -= 1
        compute(again)
    return results  # type: ignore[return-value]


def _usable(checkpoint: Checkpoint, blocks: Sequence[int], sizes: Sequence[int] | None) -> int:
    """How many of ``blocks`` have a file in ``checkpoint`` that can be used (:meth:`Checkpoint.load`),
    as a run of the same study would resume them. Read when a run is interrupted, for the blocks
    not known to be saved: the one whose file was committed when the interrupt came (in
    :meth:`Checkpoint.save`, after the rename, while its block's older files were removed) is
    kept, and one damaged from the start is not."""
    on_disk = checkpoint.done()
    usable = 0
    for i in blocks:
        if i in on_disk:
            with contextlib.suppress(DamagedBlock):
                checkpoint.load(i, None if sizes is None else sizes[i])
                usable += 1
    return usable


def _not_used(why: str) -> None:
    """One warning: a checkpoint's block file is not used (``why`` names it); it is computed again."""
    warnings.warn(f"{why}; not used, the block is computed again", stacklevel=3)
