"""The scripts the README shows run from any working folder, not only the repository's root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("script", "args", "out"),
    [
        ("tests/weather/design_report.py", ["--help"], "usage: design_report.py"),
        ("tests/dashboards/messages_doc.py", ["--help"], "usage: messages_doc.py"),
        ("bench/scale.py", ["nonesuch"], "allowed: dask, cost, memory, memory-kernel, memory-sweep, gc"),
        ("bench/run.py", ["nonesuch"], "allowed: machine, engine"),
    ],
)
def test_a_script_runs_from_another_folder(script, args, out, tmp_path):
    r = subprocess.run(
        [sys.executable, str(ROOT / script), *args], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert out in r.stdout + r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert r.returncode == (0 if args == ["--help"] else 1)


def test_make_has_the_design_report_entry():
    assert (
        "\ndesign-report: install\n\t$(BIN)/python tests/weather/design_report.py $(ARGS)"
        in (ROOT / "Makefile").read_text()
    )
