"""twin.core.jit: kernel helpers compiled with the kernels that call them, and the disk cache."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from twin.core.jit import helpers_of, kernel_helper

ROOT = Path(__file__).resolve().parents[3]


@kernel_helper
def _double(x):
    return 2.0 * x


def _kernel(a, out):
    for i in range(a.size):
        out[i] = _double(a[i])
    return 0


def test_helpers_are_found_by_global_name_and_the_kernel_still_runs_as_python():
    assert helpers_of(_kernel) == {"_double": _double}
    assert helpers_of(_double) == {}
    out = np.empty(3)
    _kernel(np.arange(3.0), out)
    np.testing.assert_array_equal(out, [0.0, 2.0, 4.0])


def _fresh_process(tmp_path, module: str) -> list[float]:
    """``compiled(module.kern)`` called in a fresh process with its disk cache in ``tmp_path``:
    ``[out[1], cache hits, cache misses]``."""
    code = (
        f"import numpy as np, {module}\nfrom twin.core.jit import compiled\n"
        f"f = compiled({module}.kern); o = np.empty(2); f(np.array([1.0, 2.0]), o)\n"
        "print(o[1], sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values()))\n"
    )
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)]),
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [float(x) for x in out.stdout.split()]


def test_a_changed_helper_is_recompiled_never_loaded_stale(tmp_path):
    """The kernel's cache entry is keyed on its helpers' source: editing a helper in another
    file recompiles the kernel (numba alone would load the stale one)."""
    (tmp_path / "helpers_mod.py").write_text(
        "from twin.core.jit import kernel_helper\n\n@kernel_helper\ndef scale(x):\n    return x * 2.0\n"
    )
    (tmp_path / "kernel_mod.py").write_text(
        textwrap.dedent(
            """
            from helpers_mod import scale

            def kern(a, out):
                for i in range(a.size):
                    out[i] = scale(a[i]) + 1.0
                return 0
            """
        )
    )

    def run() -> list[float]:
        return _fresh_process(tmp_path, "kernel_mod")

    assert run() == [5.0, 0.0, 1.0]  # compiled and cached
    assert run() == [5.0, 1.0, 0.0]  # loaded from the cache
    helpers = tmp_path / "helpers_mod.py"
    helpers.write_text(helpers.read_text().replace("x * 2.0", "x * 3.0"))
    _no_stale_bytecode(tmp_path)
    assert run() == [7.0, 0.0, 1.0]  # the helper changed: compiled again, the new result


def test_a_numba_without_the_cache_key_method_compiles_in_memory(tmp_path):
    """The helper digest extends numba's private ``FunctionCache._index_key``: a numba without
    it must still run the kernel (compiled in memory, no disk cache), never fail at the call."""
    code = (
        "import numpy as np\nfrom numba.core import caching\n"
        "for k in caching.FunctionCache.__mro__:\n"
        "    if '_index_key' in vars(k): delattr(k, '_index_key')\n"
        "from tests.twin.core.test_jit import _kernel\nfrom twin.core.jit import compiled\n"
        "f = compiled(_kernel); o = np.empty(2); f(np.array([1.0, 2.0]), o)\n"
        "print(o[1])\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4.0"]
    assert not list((tmp_path / "cache").rglob("*.nbi"))  # compiled in memory: nothing written to the cache


def test_a_changed_constant_in_another_module_is_recompiled_never_loaded_stale(tmp_path):
    """numba freezes a module constant into the machine code: a kernel without helpers reading a
    constant imported from another file (as the liquid kernels read ``BOUND_SLACK``) is compiled
    again when that constant changes (numba alone checks the kernel's own file only)."""
    (tmp_path / "consts_mod.py").write_text("import numpy as np\n\nSLACK = 2.0\nTABLE = np.array([1.0, 10.0])\n")
    (tmp_path / "plain_mod.py").write_text(
        textwrap.dedent(
            """
            from consts_mod import SLACK, TABLE

            def kern(a, out):
                for i in range(a.size):
                    out[i] = a[i] * SLACK + TABLE[i]
                return 0
            """
        )
    )

    def run() -> list[float]:
        return _fresh_process(tmp_path, "plain_mod")

    consts = tmp_path / "consts_mod.py"
    assert run() == [14.0, 0.0, 1.0]  # compiled and cached
    assert run() == [14.0, 1.0, 0.0]  # loaded from the cache
    consts.write_text(consts.read_text().replace("SLACK = 2.0", "SLACK = 3.0"))
    _no_stale_bytecode(tmp_path)
    assert run() == [16.0, 0.0, 1.0]  # the constant changed: compiled again
    consts.write_text(consts.read_text().replace("10.0", "20.0"))
    _no_stale_bytecode(tmp_path)
    assert run() == [26.0, 0.0, 1.0]  # an array constant changed: compiled again


@pytest.mark.parametrize(
    ("consts", "kernel", "edit", "before", "after"),
    [
        pytest.param(  # a module's attribute: co_names holds "consts_x" and "SLACK", no global holds the value
            "SLACK = 2.0\n",
            "import consts_x\n\ndef kern(a, out):\n    for i in range(a.size):\n        out[i] = a[i] * consts_x.SLACK\n    return 0\n",
            ("2.0", "3.0"),
            4.0,
            6.0,
            id="module-attribute",
        ),
        pytest.param(  # a tuple of strings, read through its length (as the kernels read their row tuples)
            'ROWS = ("a", "b")\n',
            "from consts_x import ROWS\n\ndef kern(a, out):\n    for i in range(a.size):\n        out[i] = a[i] * len(ROWS)\n    return 0\n",
            ('"b")', '"b", "c")'),
            4.0,
            6.0,
            id="tuple-of-strings",
        ),
        pytest.param(  # nested tuples
            "T = ((2.0, 0.0), (0.0, 2.0))\n",
            "from consts_x import T\n\ndef kern(a, out):\n    for i in range(a.size):\n        out[i] = a[i] * T[i][i]\n    return 0\n",
            ("(0.0, 2.0))", "(0.0, 3.0))"),
            4.0,
            6.0,
            id="nested-tuple",
        ),
    ],
)
def test_every_constant_numba_freezes_counts_in_the_key(tmp_path, consts, kernel, edit, before, after):
    """A module attribute, a tuple of strings and nested tuples are frozen by numba as the
    numbers are: a change of any in another file recompiles (each loaded stale before)."""
    (tmp_path / "consts_x.py").write_text(consts)
    (tmp_path / "plain_mod.py").write_text(kernel)
    assert _fresh_process(tmp_path, "plain_mod") == [before, 0.0, 1.0]
    assert _fresh_process(tmp_path, "plain_mod") == [before, 1.0, 0.0]
    path = tmp_path / "consts_x.py"
    path.write_text(path.read_text().replace(*edit))
    _no_stale_bytecode(tmp_path)
    assert _fresh_process(tmp_path, "plain_mod") == [after, 0.0, 1.0]


def test_a_kernel_with_nested_code_loads_from_the_cache(tmp_path):
    """A comprehension's code object is keyed by its contents, not by a repr holding its address
    (which differs in every process, so the kernel was compiled again every time)."""
    (tmp_path / "plain_mod.py").write_text(
        "S = 2.0\n\ndef kern(a, out):\n    xs = [a[i] * S for i in range(a.size)]\n"
        "    for i in range(a.size):\n        out[i] = xs[i]\n    return 0\n"
    )
    assert _fresh_process(tmp_path, "plain_mod") == [4.0, 0.0, 1.0]
    assert _fresh_process(tmp_path, "plain_mod") == [4.0, 1.0, 0.0]


def _no_stale_bytecode(tmp_path) -> None:
    """Remove the byte-compiled modules: a file rewritten within its timestamp's second at the
    same size would be loaded from its stale ``.pyc``."""
    for pyc in tmp_path.rglob("__pycache__/*.pyc"):
        pyc.unlink()
