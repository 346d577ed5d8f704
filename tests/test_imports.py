"""The import arrows of the architecture (README, "Architecture"), read from the source with ``ast``.

Every import counts, also one inside a function: a lazy upward import is still upward. The
one allowed lazy import is the CLI's of :mod:`dashboards`.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("twin", "weather", "sites", "dashboards")

FORBIDDEN: dict[str, tuple[str, ...]] = {
    # importer (a module or a package prefix) → what it must not import (module prefixes)
    "weather": ("twin", "sites", "dashboards"),
    "sites": ("twin", "dashboards"),
    "twin.core": (
        "twin.building",
        "twin.supply",
        "twin.money",
        "twin.engine",
        "twin.studies",
        "twin.cli",
        "sites",
    ),
    "twin.building": ("twin.engine", "twin.studies", "twin.cli", "sites"),
    "twin.supply": ("twin.engine", "twin.studies", "twin.cli", "sites"),
    "twin.money": ("twin.building", "twin.supply", "twin.engine", "twin.studies", "twin.cli", "sites", "weather"),
    "twin.engine": ("twin.studies", "twin.cli"),
    "twin.studies": ("twin.cli",),
}
"""Besides these, nothing below ``twin.cli`` imports the top package ``twin`` itself, and nothing
but the CLI (lazily) imports ``dashboards``."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, text: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) of every import in a file, relative ones resolved."""
    tree = ast.parse(text, str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    top = {id(n) for n in tree.body} | {
        id(n) for s in tree.body if isinstance(s, ast.If | ast.Try) for n in ast.walk(s)
    }  # an import under a module-level `if TYPE_CHECKING:` or `try:` is still a module-level one
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names = [f"{module}.{a.name}" for a in node.names] if node.module is None else [module]
        else:
            continue
        out += [(name, node.lineno, id(node) in top) for name in names]
    return out


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _violations(sources: dict[Path, str]) -> list[str]:
    bad = []
    for path, text in sources.items():
        importer = _module_name(path)
        for name, line, module_level in _imports(path, text):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            for prefix, forbidden in FORBIDDEN.items():
                if _within(importer, prefix) and any(_within(name, f) for f in forbidden):
                    bad.append(f"{where} ({prefix} must not import {', '.join(forbidden)})")
            if name == "twin" and _within(importer, "twin") and importer not in ("twin", "twin.cli"):
                bad.append(f"{where} (the top package: only twin.cli may)")
            if _within(name, "dashboards") and not _within(importer, "dashboards"):
                if importer != "twin.cli" or module_level:
                    bad.append(f"{where} (only the CLI imports dashboards, inside a function)")
    return bad


def test_imports_point_down():
    assert _violations(_sources()) == []


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("twin/core/x.py", "def f():\n    from twin import __version__\n", "the top package"),
        ("twin/core/x.py", "from ..engine import config\n", "twin.core must not import"),
        ("twin/supply/x.py", "import sites\n", "twin.supply must not import"),
        ("twin/money/x.py", "from twin.supply.pv import PVParams\n", "twin.money must not import"),
        ("twin/building/cooling/x.py", "from ...engine.config import Case\n", "twin.building must not import"),
        ("twin/engine/x.py", "from twin.studies import sweep\n", "twin.engine must not import"),
        ("twin/cli.py", "import dashboards\n", "only the CLI imports dashboards, inside a function"),
        ("weather/x.py", "def f():\n    import sites\n", "weather must not import"),
    ],
)
def test_the_check_sees_each_kind_of_upward_import(file, text, expected):
    found = _violations({ROOT / file: text})
    assert len(found) == 1 and expected in found[0], found


def test_one_version_string():
    from twin import __version__
    from twin.core import version

    assert __version__ is version.__version__
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "twin.core.version.__version__"}
    literal = re.compile(r"__version__\s*=\s*[\"']")
    assert [p for p, text in _sources().items() if literal.search(text)] == [ROOT / "twin/core/version.py"]
