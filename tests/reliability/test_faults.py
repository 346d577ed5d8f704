"""Faults: concurrent writers, a full disk, a file-size limit, an interrupted run, the umask."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from twin.core.io import OutputError, OutputExists, atomic_write

ROOT = Path(__file__).resolve().parents[2]


def _twin(*args: str, cwd: Path, preexec=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "twin.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )


def _parts(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.part")]


def test_concurrent_writers_exactly_one_wins(tmp_path):
    """Both writers pass the existence check and hold a temporary file before either commits."""
    target = tmp_path / "same.nc"
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def writer(name: str) -> None:
        def write(p: Path) -> None:
            p.write_text(name)
            barrier.wait(timeout=30)  # both are past the check, both have written

        try:
            atomic_write(target, write)
            outcome[name] = "wrote"
        except OutputExists as exc:
            outcome[name] = str(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, o in outcome.items() if o == "wrote"]
    assert len(winners) == 1, outcome
    loser = "b" if winners == ["a"] else "a"
    assert "created by another run meanwhile" in str(outcome[loser])
    assert target.read_text() == winners[0]  # the winner's result, whole
    assert _parts(tmp_path) == []


def test_concurrent_cli_runs_one_wins_the_other_says_so(tmp_path):
    procs = [_twin("weather", "--site", "qingyang", "-o", "same.nc", cwd=tmp_path) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]
    ok = [r for r in results if r[0] == 0]
    refused = [r for r in results if r[0] == 2]
    assert len(ok) == 1 and len(refused) == 1, results
    assert "wrote same.nc" in ok[0][1]
    err = refused[0][2].strip().splitlines()
    assert len(err) == 1 and ("exists" in err[0] or "created by another run meanwhile" in err[0]), err
    assert (tmp_path / "same.nc").read_bytes()[:4] == b"\x89HDF" and _parts(tmp_path) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 256 kB tmpfs (root, Linux); skipped where the machine does not allow mounting."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(
            f"cannot mount a small tmpfs here ({r.stderr.decode().strip()}); the file-size-limit test covers it"
        )
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_keeps_the_old_file_and_leaves_no_partial_file(small_disk):
    old = small_disk / "w.nc"
    old.write_text("the user's old file\n")
    p = _twin("weather", "--site", "qingyang", "-o", str(old), "--force", cwd=small_disk.parent)
    rc, out, err = p.wait(timeout=600), p.stdout.read(), p.stderr.read()
    assert rc == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twin: error: ") and "No space left" in lines[0], err
    assert old.read_text() == "the user's old file\n"
    assert sorted(f.name for f in small_disk.iterdir()) == ["w.nc"]


def test_file_size_limit_keeps_the_old_file_and_leaves_no_partial_file(tmp_path):
    import resource

    old = tmp_path / "w.nc"
    old.write_text("the user's old file\n")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    p = _twin("weather", "--site", "qingyang", "-o", "w.nc", "--force", cwd=tmp_path, preexec=limit)
    rc, err = p.wait(timeout=600), p.stderr.read()
    assert rc == 2 and rc != -signal.SIGSEGV, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "File too large" in lines[0], err
    assert old.read_text() == "the user's old file\n" and _parts(tmp_path) == []


def test_interrupted_run_leaves_nothing(tmp_path):
    """SIGTERM while the run simulates: no output, no scenario file (``--save`` is committed with
    ``-o``), no temporary file."""
    hook = (
        "import os, signal, sys\n"
        "from twin.engine import simulate\n"
        "from twin.cli import main\n"
        "real = simulate.simulate_arrays\n"
        "def run(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(*args, **kwargs)\n"
        "simulate.simulate_arrays = run\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    argv = ["run", "--site", "qingyang", "--cooling", "spray", "--save", "s.toml", "-o", "r.nc"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", hook, *argv], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 130 and "interrupted" in p.stderr and "Traceback" not in p.stderr, (p.returncode, p.stderr)
    assert list(tmp_path.iterdir()) == []


def test_output_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "x.txt", lambda p: p.write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.txt").stat().st_mode) == 0o640


def test_read_only_directory_is_refused_before_writing(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)], capture_output=True)
    if r.returncode != 0:
        if os.geteuid() == 0:
            pytest.skip("root ignores permissions and cannot mount here")
        ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match=r"cannot write|not writable|Read-only"):
            atomic_write(ro / "x.nc", lambda p: p.write_text("x"))
    finally:
        if r.returncode == 0:
            subprocess.run(["umount", str(ro)], check=False)
        else:
            ro.chmod(0o755)


@pytest.mark.parametrize("force", [False, True])
def test_a_pipe_is_never_replaced_also_with_force(tmp_path, force):
    """A named pipe (as a device: not a regular file) in an output's place is refused and kept;
    ``--force`` replaces files, never devices, pipes or sockets."""
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        atomic_write(fifo, lambda p: p.write_text("x"), force=force)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    cmd = ["run", "--site", "karamay", "--cooling", "free_air", "--no-output", "--csv", str(fifo), "--force"]
    r = subprocess.run(
        [sys.executable, "-m", "twin.cli", *cmd],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a regular file" in r.stderr, r.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    link = tmp_path / "link.csv"  # a link to a pipe (as /dev/stdout is): the pipe decides
    link.symlink_to(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        atomic_write(link, lambda p: p.write_text("x"), force=True)
    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_link_to_a_file_is_replaced_not_followed(tmp_path):
    """With ``force`` an output that is a symbolic link is replaced by the new file; the file it
    pointed to is kept as it was."""
    target = tmp_path / "kept.txt"
    target.write_text("old")
    link = tmp_path / "out.txt"
    link.symlink_to(target)
    atomic_write(link, lambda p: p.write_text("new"), force=True)
    assert not link.is_symlink() and link.read_text() == "new" and target.read_text() == "old"


def test_a_link_to_nothing_is_a_name_taken_before_the_run(tmp_path):
    """A dangling link in an output's place is refused before the run (as an existing file is),
    not after it with "created by another run meanwhile"; with ``force`` it is replaced."""
    link = tmp_path / "out.csv"
    link.symlink_to(tmp_path / "no" / "such" / "x.csv")
    with pytest.raises(OutputExists, match="exists"):
        atomic_write(link, lambda p: p.write_text("x"))
    atomic_write(link, lambda p: p.write_text("new"), force=True)
    assert not link.is_symlink() and link.read_text() == "new"


def _a_folder_in_place_of(path: Path):
    """A hook that puts a folder where ``path`` is, after the command checked its outputs."""

    def hook(real):
        def wrapped(*args, **kwargs):
            if path.exists():
                path.unlink()
            path.mkdir()
            return real(*args, **kwargs)

        return wrapped

    return hook


@pytest.mark.parametrize("saved", ["old", "new"])
@pytest.mark.parametrize(
    ("argv", "module", "name"),
    [
        (["size", "--site", "qingyang", "--target", "hourly:0.5"], "twin.studies.sizing", "results_dataset"),
        (["run", "--site", "qingyang", "--cooling", "free_air"], "twin.engine.simulate", "run_content"),
    ],
)
def test_save_is_committed_with_the_output_a_failed_output_leaves_it_as_it_was(
    argv, module, name, saved, tmp_path, monkeypatch, capsys
):
    """``--save`` was written before ``-o`` (``twin run``: before the run): an ``-o`` that failed
    left the scenario file replaced (or new) beside the old output."""
    import importlib

    from twin.cli import main

    out, save = tmp_path / "r.nc", tmp_path / "s.toml"
    if saved == "old":
        save.write_text("the user's old scenario\n")
    target = importlib.import_module(module)
    monkeypatch.setattr(target, name, _a_folder_in_place_of(out)(getattr(target, name)))
    assert main([*argv, "--save", str(save), "-o", str(out), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out} is a directory" in err, err
    if saved == "old":
        assert save.read_text() == "the user's old scenario\n"
    else:
        assert not save.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.nc", *(["s.toml"] if saved == "old" else [])])


_KILLED_BETWEEN_COMMITS = """
import os, signal, sys
from twin.core import io
from twin.cli import main

real, seen = io._commit, []


def commit(tmp, dest, force):
    if seen:
        os.kill(os.getpid(), signal.{signal})
        raise SystemExit("not reached")
    real(tmp, dest, force)
    seen.append(dest)


io._commit = commit
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_a_run_killed_between_two_commits_leaves_the_old_file_and_the_new_one_named(sig, tmp_path):
    """``kill -9`` (or SIGTERM) between the two renames of ``-o r.nc --csv r.csv --force``: r.nc
    is new and r.csv old, and the new CSV was a hidden ``.twin-PID-*.part`` removed by the next
    write into the folder (or by the interrupt's clean-up). The new CSV is kept, whole, as
    ``r.csv.twin-PID.uncommitted``; renaming it to r.csv finishes the commit."""
    for name in ("r.nc", "r.csv"):
        (tmp_path / name).write_text(f"the user's old {name}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = ["run", "--site", "qingyang", "--cooling", "free_air", "-o", "r.nc", "--csv", "r.csv", "--force"]
    code = _KILLED_BETWEEN_COMMITS.replace("{signal}", sig)
    p = subprocess.run([sys.executable, "-c", code, *argv], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode in (-signal.SIGKILL, 130) and "Traceback" not in p.stderr, (p.returncode, p.stderr)
    assert (tmp_path / "r.nc").read_bytes().startswith(b"\x89HDF")  # the new NetCDF file
    assert (tmp_path / "r.csv").read_text() == "the user's old r.csv\n"
    left = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("r.nc", "r.csv"))
    assert len(left) == 1 and re.fullmatch(r"r\.csv\.twin-\d+\.uncommitted", left[0]), left
    if sig == "SIGTERM":
        assert p.stderr == (
            f"twin: interrupted; r.nc was written; the new r.csv is kept as {left[0]} (rename it to r.csv to finish)\n"
        )
    new = (tmp_path / left[0]).read_text()
    assert new.startswith("time,") or "," in new.splitlines()[0]
    assert len(new.splitlines()) > 8760
