"""The harness of the bad-input corpus: run one case of the ``twin`` command and judge it.

The rule (README, "Bad input and faults"): a case ends either with exit status 2 and exactly
one line on stderr, ``twin: error: …``, that names what is wrong (each case lists the words the
line must hold: the field, file or line, and the value), or with a correct result (exit 0,
only ``twin: warning:`` lines on stderr, and what the case checks of the result). Never a
traceback; no temporary ``.part`` file left; files the user had are unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    """One bad input or fault.

    Attributes
    ----------
    id : str
        Unique, ``category/what``.
    argv : list of str
        Arguments of ``twin`` (run in a fresh working directory holding what ``setup`` made).
    expect : {"error", "ok"}
        An error line naming ``names``, or a correct result.
    names : tuple of str
        Substrings the error line must contain (field, file or line, value).
    setup : callable, optional
        ``setup(workdir, files)`` makes the inputs; ``files`` holds shared generated inputs.
    check : callable, optional
        ``check(workdir, result) -> str | None``: a problem with the result, or None.
    env : dict, optional
        Environment variables for the run.
    subprocess : bool
        Run ``python -m twin.cli`` in a child process (signals, pipes, limits, environment
        read at import); otherwise ``twin.cli.main`` in this process.
    preserve : tuple of str
        Files (relative to the working directory) that must be unchanged by the run.
    """

    id: str
    argv: list[str]
    expect: str = "error"
    names: tuple[str, ...] = ()
    setup: Callable[[Path, dict[str, Path]], None] | None = None
    check: Callable[[Path, Result], str | None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    subprocess: bool = False
    preserve: tuple[str, ...] = ()
    preexec: Callable[[], None] | None = None
    stdin_pipe_close: bool = False


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


def run_case(case: Case, workdir: Path, monkeypatch: Any) -> Result:
    """Run a case's command in ``workdir``."""
    if case.subprocess:
        env = {**os.environ, **case.env, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "twin.cli", *case.argv]
        if case.stdin_pipe_close:  # `twin … | head -1`
            p = subprocess.Popen(
                cmd, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=case.preexec
            )
            assert p.stdout is not None and p.stderr is not None
            p.stdout.readline()
            p.stdout.close()
            err = p.stderr.read().decode()
            return Result(p.wait(timeout=300), "", err)
        r = subprocess.run(
            cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=300, preexec_fn=case.preexec
        )
        return Result(r.returncode, r.stdout, r.stderr)
    from twin import cli

    monkeypatch.chdir(workdir)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(case.argv)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 1
    return Result(rc, out.getvalue(), err.getvalue())


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def judge(case: Case, result: Result, workdir: Path, before: dict[str, str | None]) -> list[str]:
    """Every way the result breaks the rule (empty: the case holds)."""
    problems = []
    lines = result.stderr.splitlines()
    if "Traceback" in result.stderr or "internal error" in result.stderr:
        problems.append(f"traceback or internal error: {result.stderr.strip()[-300:]}")
    if case.expect == "error":
        if result.rc != 2:
            problems.append(f"exit {result.rc}, expected 2 (stderr: {result.stderr.strip()[-200:]!r})")
        elif len(lines) != 1 or not lines[0].startswith("twin: error: "):
            problems.append(f"stderr is not one 'twin: error:' line: {result.stderr!r}")
        else:
            missing = [n for n in case.names if n.lower() not in lines[0].lower()]
            if missing:
                problems.append(f"the error line does not name {missing}: {lines[0]!r}")
    else:
        if result.rc != 0:
            problems.append(f"exit {result.rc}, expected 0 (stderr: {result.stderr.strip()[-300:]!r})")
        others = [ln for ln in lines if not ln.startswith("twin: warning: ")]
        if others:
            problems.append(f"stderr holds more than warnings: {others[:3]}")
    for dirpath, _, files in os.walk(workdir):
        for f in files:
            if f.endswith(".part"):
                problems.append(f"temporary file left: {Path(dirpath, f).relative_to(workdir)}")
    for rel, h in before.items():
        if digest(workdir / rel) != h:
            problems.append(f"{rel} was changed or lost")
    if case.check is not None and not problems:
        msg = case.check(workdir, result)
        if msg:
            problems.append(msg)
    return problems
