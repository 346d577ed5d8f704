"""Running studies: progress bar, Dask clusters (local, unreachable) give the serial results exactly."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import threading
from collections.abc import Iterator

import numpy as np
import pytest
import xarray as xr

from twin import Scenario, cli
from twin.core.io import OutputError
from twin.studies.ensemble import run_ensemble
from twin.studies.study import Checkpoint, ClusterError, Progress, cluster, fingerprint
from twin.studies.sweep import run_sweep

BASE = Scenario(sites=("karamay", "qingyang"), designs=("free_air", "immersion_1p"))
GRID = (("facility.utilisation", (0.4, 0.6, 0.8)),)
ONE = Scenario(sites=("karamay",), designs=("spray",))


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        bar = Progress(4, "sweep", stream)
        for k in range(5):
            bar.show(k)
    assert quiet.getvalue() == ""
    assert "4/4 blocks" in tty.getvalue() and tty.getvalue().endswith("\n")


def _listening_addresses() -> set[str]:
    """IP addresses this process and its children listen on."""
    import os

    import psutil

    procs = [psutil.Process(os.getpid()), *psutil.Process().children(recursive=True)]
    out = set()
    for p in procs:
        with contextlib.suppress(psutil.Error):
            out |= {c.laddr.ip for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return out


def test_local_cluster_of_two_workers_equals_the_serial_run():
    pytest.importorskip("dask.distributed")
    serial = run_sweep(BASE, GRID, block=4, progress=False)
    serial_m, serial_q = run_ensemble(ONE, seeds=(0, 1), progress=False)
    with cluster(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        assert all(a.startswith("tcp://127.0.0.1:") for a in client.scheduler_info()["workers"])
        assert _listening_addresses() == {"127.0.0.1"}  # scheduler, workers and HTTP servers alike
        import gc

        from twin.studies import study

        # a worker runs one task at a time: the task runs with the cyclic collector paused
        assert client.submit(study._task, gc.isenabled, pure=False).result() is False
        assert all(client.run(gc.isenabled).values())  # and restored after it
        dask = run_sweep(BASE, GRID, block=4, progress=False, client=client)
        dask_m, dask_q = run_ensemble(ONE, seeds=(0, 1), progress=False, client=client)
        with cluster(scheduler=client.scheduler.address) as remote:  # as --scheduler tcp://… does
            via_address = run_sweep(BASE, GRID, block=4, progress=False, client=remote)
    xr.testing.assert_identical(via_address, serial)
    xr.testing.assert_identical(dask, serial)  # 12 cases in 3 tasks of 4: bit-for-bit the same
    xr.testing.assert_identical(dask_m, serial_m)
    xr.testing.assert_identical(dask_q, serial_q)


def test_a_local_clusters_workers_ignore_sigint_and_an_interrupt_closes_it_quietly():
    """A terminal's Ctrl-C reaches the workers too: each died of its own KeyboardInterrupt with a
    traceback. They ignore SIGINT; after a KeyboardInterrupt Dask's logging is silenced while the
    cluster closes, and this process's SIGINT handler and log levels are as they were after it."""
    pytest.importorskip("dask.distributed")
    import logging
    import signal

    outer = signal.signal(signal.SIGINT, signal.default_int_handler)  # a suite run in the background ignores it
    try:
        handler = signal.getsignal(signal.SIGINT)
        names = ("distributed", "tornado", "asyncio")
        levels = [logging.getLogger(n).level for n in names]
        seen = []
        with pytest.raises(KeyboardInterrupt), cluster(workers=1) as client:
            assert handler not in (signal.SIG_IGN, None)  # this process still acts on Ctrl-C
            assert signal.getsignal(signal.SIGINT) is handler
            assert list(client.run(signal.getsignal, signal.SIGINT).values()) == [signal.SIG_IGN]

            # a worker's heartbeat to a scheduler already closed logged an ERROR and its traceback
            # on a loaded machine: the workers' Dask loggers say nothing (errors reach this process)
            def loud():
                names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "tornado")]
                return [n for n in names if logging.getLogger(n).isEnabledFor(logging.ERROR)]

            assert list(client.run(loud).values()) == [[]]
            close = client.close

            def closing(*args, **kwargs):
                seen.append(logging.getLogger("distributed").isEnabledFor(logging.CRITICAL))
                return close(*args, **kwargs)

            client.close = closing
            raise KeyboardInterrupt
        assert seen == [False]  # silenced while the client closed
        assert signal.getsignal(signal.SIGINT) is handler
        assert [logging.getLogger(n).level for n in names] == levels
    finally:
        signal.signal(signal.SIGINT, outer)


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_while_the_local_cluster_starts_is_acted_on_once_it_has_started(name, monkeypatch):
    """A Ctrl-C in the 1–7 s while the workers start was lost (SIGINT was ignored for the whole
    start, so that the workers inherit it ignored), and the study ran on; a SIGTERM then broke off
    the start, and Dask's exit handler printed its traceback closing the half-started cluster. Now
    either is held until the cluster has started and then acts as the CLI's handler does (a
    KeyboardInterrupt), the cluster closed; its workers still ignore SIGINT."""
    pytest.importorskip("dask.distributed")
    import signal

    import dask.distributed

    sig = getattr(signal, name)
    started: list = []

    class Signalled(dask.distributed.LocalCluster):
        def __init__(self, *args, **kwargs):
            os.kill(os.getpid(), sig)  # as the workers start
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(dask.distributed, "LocalCluster", Signalled)
    handler = signal.default_int_handler if name == "SIGINT" else cli._on_sigterm
    outer = signal.signal(sig, handler)  # a suite run in the background ignores SIGINT
    try:
        with pytest.raises(KeyboardInterrupt), cluster(workers=1):
            pytest.fail("the study ran on after the signal")
        assert signal.getsignal(sig) is handler
    finally:
        signal.signal(sig, outer)
    (lc,) = started
    assert lc.status.name == "closed"


def test_unreachable_scheduler_is_one_clear_error(capsys, tmp_path):
    pytest.importorskip("dask.distributed")
    with (
        pytest.raises(ClusterError, match="no scheduler answered"),
        cluster(scheduler="tcp://127.0.0.1:9", timeout_s=1),
    ):
        pass
    args = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5"]
    assert cli.main([*args, "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "x.nc")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin: error: --scheduler tcp://127.0.0.1:9") and err.count("\n") == 1


@contextlib.contextmanager
def _server(banner: bytes) -> Iterator[str]:
    """A local TCP server thread that writes ``banner`` (nothing when empty) to each connection
    and keeps it open: another protocol's server where a Dask scheduler was meant."""
    srv = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = srv.accept()
                held.append(conn)
                if banner:
                    conn.sendall(banner)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        srv.close()
        for conn in held:
            conn.close()


def test_a_server_that_is_no_dask_scheduler_is_one_clear_error(capsys, tmp_path):
    """An SSH banner was read as a frame length (3 EiB): "out of memory; use fewer cases"; a
    server that accepts and says nothing (an HTTP port) failed after minutes. Both are named."""
    pytest.importorskip("dask.distributed")
    with _server(b"SSH-2.0-OpenSSH_9.6\r\n") as ssh:
        with pytest.raises(ClusterError) as err, cluster(scheduler=ssh, timeout_s=1):
            pass
        assert str(err.value) == f"--scheduler {ssh} is not a Dask scheduler (it said 'SSH-2.0-OpenSSH_')"
        args = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5"]
        assert cli.main([*args, "--scheduler", ssh, "-o", str(tmp_path / "x.nc")]) == 2
        assert (
            capsys.readouterr().err
            == f"twin: error: --scheduler {ssh} is not a Dask scheduler (it said 'SSH-2.0-OpenSSH_')\n"
        )
    with _server(b"") as silent:
        with pytest.raises(ClusterError) as err, cluster(scheduler=silent, timeout_s=1):
            pass
        assert str(err.value) == (
            f"--scheduler {silent}: no scheduler answered within 1 s (it accepted the connection and said nothing)"
        )


def test_a_real_scheduler_passes_the_probe():
    """The probe reads a real scheduler's handshake as Dask's (its first 16 bytes)."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as lc:
        with cluster(scheduler=lc.scheduler_address, timeout_s=3) as client:
            assert client.scheduler_info()["address"] == lc.scheduler_address


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("tcp://127.0.0.1:99999", "'tcp://127.0.0.1:99999': port 99999 is outside 1 … 65535"),
        ("tcp://[::1]:0", "'tcp://[::1]:0': port 0 is outside 1 … 65535"),
        ("tcp://h", "'tcp://h' must look like tcp://host:port (a host and a port number)"),
        ("udp://h:1", "'udp://h:1' must look like tcp://host:port"),
        (
            "tls://127.0.0.1:8097",
            "'tls://127.0.0.1:8097': tls:// is not supported (it needs certificates, which the twin does not "
            "take); give tcp://host:port",
        ),
    ],
)
@pytest.mark.parametrize("command", ["sweep", "ensemble"])
def test_a_scheduler_address_is_checked_when_parsed(capsys, tmp_path, address, said, command):
    """A port above 65,535 was taken as an address and only timed out (``twin dash --port`` checks
    its range); tls:// reached Dask without certificates: an internal error (TypeError), exit 70."""
    args = [command, "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5"]
    with pytest.raises(SystemExit) as ended:
        cli.main([*args, "--scheduler", address, "-o", str(tmp_path / "x.nc")])
    assert ended.value.code == 2
    assert capsys.readouterr().err == f"twin: error: argument --scheduler: {said} (see 'twin {command} --help')\n"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"workers": 2, "scheduler": "tcp://h:1"}, "not both"), ({"workers": 0}, "≥ 1"), ({"scheduler": "h:1"}, "tcp://")],
)
def test_bad_cluster_options(kwargs, match):
    with pytest.raises(ClusterError, match=match), cluster(**kwargs):
        pass


def test_a_task_pauses_the_collector_only_in_a_process_marked_one_task_at_a_time():
    """study._task pauses Python's cyclic collector from a worker's thread only when the process
    runs one task at a time (marked by cluster()); otherwise, as annual_kpis in a thread, it
    leaves it alone; either way the collector is as it was afterwards, also on error."""
    import gc
    import threading

    from twin.studies import study

    seen: list[bool] = []

    def in_a_thread() -> None:
        seen.append(study._task(gc.isenabled))
        with contextlib.suppress(ZeroDivisionError):
            study._task(lambda: 1 / 0)
        seen.append(gc.isenabled())

    was, flag = gc.isenabled(), study._ONE_TASK_AT_A_TIME[0]
    try:
        gc.enable()
        for marked in (False, True):
            study._ONE_TASK_AT_A_TIME[0] = marked
            t = threading.Thread(target=in_a_thread)
            t.start()
            t.join()
        assert seen == [True, True, False, True]
        assert gc.isenabled()
    finally:
        study._ONE_TASK_AT_A_TIME[0] = flag
        (gc.enable if was else gc.disable)()


def test_a_checkpoint_names_what_differs_and_reads_an_older_one(tmp_path):
    """A checkpoint keeps each part's fingerprint and names the parts that differ; one written
    before the parts were kept (the fingerprint alone) and one unreadable are refused generally."""
    spec = {"kind": "ensemble", "scenario": {"sites": ["guian"]}, "seeds": [0, 1], "warming": [0.0]}
    path = tmp_path / "e.nc.checkpoint"
    Checkpoint(path, spec).close()  # a study holds its checkpoint until it closes it
    Checkpoint(path, dict(spec)).close()  # the same study resumes
    with pytest.raises(OutputError, match=r"another study \(--seeds, --warming differ\); run the same command"):
        Checkpoint(path, {**spec, "seeds": [0, 2], "warming": [1.0]})
    (path / "study.json").write_text(json.dumps({"fingerprint": fingerprint({**spec, "seeds": [5]})}))
    with pytest.raises(
        OutputError, match=r"another study \(its scenario, sites, grid, seeds, --block or --kernel differ\)"
    ):
        Checkpoint(path, spec)
    (path / "study.json").write_text("{not json")
    with pytest.raises(
        OutputError, match=r"e\.nc\.checkpoint is unreadable as a checkpoint; remove it or pass --force"
    ):
        Checkpoint(path, spec)
    Checkpoint(path, spec, force=True).close()
    assert json.loads((path / "study.json").read_text())["fingerprint"] == fingerprint(spec)


def test_a_checkpoint_written_before_the_parts_were_kept_resumes_its_own_study(tmp_path):
    """study.json of the previous version holds the fingerprint alone: the same study resumes
    with its finished blocks (and keeps them)."""
    spec = {"kind": "sweep", "scenario": {"sites": ["guian"]}, "list": None, "block": 5}
    path = tmp_path / "s.nc.checkpoint"
    path.mkdir()
    (path / "study.json").write_text(json.dumps({"fingerprint": fingerprint(spec)}))
    with Checkpoint(path, spec) as ckpt:
        ckpt.save(0, {"pue": np.array([1.2])})
    with Checkpoint(path, spec) as ckpt:
        assert ckpt.done() == {0}


def test_a_checkpoint_is_held_by_one_study_at_a_time(tmp_path):
    """Two studies on one output: the second "resumed" the first's live checkpoint (or, with
    --force and another grid, deleted it); it is refused at once, --force or not."""
    from twin.studies.study import CheckpointInUse

    spec = {"kind": "sweep", "scenario": {"sites": ["guian"]}, "list": None, "block": 5}
    path = tmp_path / "s.nc.checkpoint"
    first = Checkpoint(path, spec)
    first.save(0, {"pue": np.array([1.2])})
    for force in (False, True):
        with pytest.raises(
            CheckpointInUse,
            match=rf"^{tmp_path}/s\.nc: another twin process {os.getpid()} is running a study on this output "
            rf"\(it holds {path}\); wait for it to finish or stop it, or give another output name$",
        ):
            Checkpoint(path, {**spec, "block": 4}, force=force)
    assert first.done() == {0} and first.load(0, 1)["pue"].tolist() == [1.2]
    first.close()
    with Checkpoint(path, spec) as again:  # released: the same study resumes
        assert again.done() == {0}


def test_a_study_in_another_process_holds_its_output(tmp_path):
    """The lock is the operating system's: a study running in another process is refused by
    the CLI in one line (exit 2), its checkpoint untouched; when that process ends (killed
    here), the lock is gone with it."""
    import subprocess
    import sys

    out = tmp_path / "s.nc"
    argv = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5,0.6"]
    holder = (
        "import sys, time\n"
        "from twin.studies.study import Checkpoint\n"
        f"c = Checkpoint({str(out) + '.checkpoint'!r}, {{'kind': 'sweep'}})\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        before = sorted(p.name for p in (tmp_path / "s.nc.checkpoint").iterdir())
        for extra in ([], ["--force"]):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                assert cli.main([*argv, "-o", str(out), *extra]) == 2
            assert err.getvalue() == (
                f"twin: error: {out}: another twin process {proc.pid} is running a study on this output "
                f"(it holds {out}.checkpoint); wait for it to finish or stop it, or give another output name\n"
            )
        assert sorted(p.name for p in (tmp_path / "s.nc.checkpoint").iterdir()) == before
    finally:
        proc.kill()
        proc.wait()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert cli.main([*argv, "-o", str(out), "--force"]) == 0  # another study: --force discards the old one
    assert out.exists() and not (tmp_path / "s.nc.checkpoint").exists()


def test_a_held_output_is_refused_before_a_dask_cluster_is_started(tmp_path, monkeypatch):
    """With --workers the cluster was started first and the second study refused only after it:
    the lock is now looked at (not taken) as soon as the output is known."""
    import twin.studies.study as study_mod
    from twin.studies.study import CheckpointInUse, refuse_if_held

    out = tmp_path / "s.nc"
    path = tmp_path / "s.nc.checkpoint"
    refuse_if_held(path)  # nothing there: nothing to say
    held = Checkpoint(path, {"kind": "sweep"})

    def no_cluster(*args, **kwargs):
        raise AssertionError("a cluster was started for an output another study holds")

    monkeypatch.setattr(study_mod, "cluster", no_cluster)
    err = io.StringIO()
    argv = ["sweep", "--site", "karamay", "--cooling", "free_air", "--grid", "facility.utilisation=0.5,0.6"]
    with contextlib.redirect_stderr(err):
        assert cli.main([*argv, "--workers", "2", "-o", str(out)]) == 2
    assert err.getvalue().startswith(f"twin: error: {out}: another twin process {os.getpid()} is running a study")
    with pytest.raises(CheckpointInUse):
        refuse_if_held(path)
    held.close()
    refuse_if_held(path)  # released: the next study may take it
