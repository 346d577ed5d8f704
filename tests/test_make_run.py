"""`make run` stops its server when make is stopped: SIGTERM to make's process (make passes it to
its children, so the server must be make's child, not a shell's), or Ctrl-C (SIGINT to the
terminal's process group)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def make() -> str:
    exe = shutil.which("make")
    if exe is None:
        pytest.skip("make is not installed")
    stamp = subprocess.run([exe, "-q", ".venv/.installed"], cwd=ROOT, capture_output=True)
    if stamp.returncode != 0:  # make run would first (re)install the venv: minutes, and not this test's business
        pytest.skip("the .venv of `make install` is missing or older than pyproject.toml")
    return exe


@pytest.mark.parametrize("how", ["sigterm-to-make", "ctrl-c-to-the-group"])
def test_make_run_stops_its_server(make, how):
    port = _free_port()
    p = subprocess.Popen(
        [make, "-s", "run", f"PORT={port}"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert p.poll() is None, f"make run ended (exit {p.returncode}) before the server listened"
            assert time.monotonic() < deadline, "the server did not listen within 120 s"
            time.sleep(0.1)
        if how == "sigterm-to-make":
            p.send_signal(signal.SIGTERM)  # `kill PID` of make, nothing else
        else:
            os.killpg(p.pid, signal.SIGINT)
        p.wait(timeout=60)
        deadline = time.monotonic() + 10
        while not _bindable(port) and time.monotonic() < deadline:  # the server's exit closes its socket
            time.sleep(0.1)
        assert _bindable(port), f"port {port} is still held after make ended: the server outlived make"
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)  # whatever of this test's group is left (none when it passes)
        except ProcessLookupError:
            pass
        p.wait()
