"""Every source named in the code and the site files resolves inside the repository (docs/references.md)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from twin.building.cooling import DESIGNS
from twin.engine.config import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
KEYS = set(
    re.findall(r"^\| ([A-Za-z][A-Za-z0-9]*) \|", (ROOT / "docs" / "references.md").read_text(encoding="utf-8"), re.M)
)
KEY_LIKE = re.compile(r"\b[A-Z][A-Za-z]+\d{4}[a-z]?\b")  # Karamay2025, Qingyang2025a, GRC2016 …
OUTSIDE = re.compile(r"seeds? \d{3}|reference-facts|seed-facts|\.\./shared|site-normals\.csv", re.I)


def _site_sources() -> list[tuple[str, str]]:
    out = []

    def walk(where: str, obj) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                if (k == "source" or k.endswith("_source")) and isinstance(v, str):
                    out.append((where, v))
                walk(f"{where}.{k}", v)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(f"{where}[{i}]", v)

    for f in sorted((ROOT / "sites" / "data").glob("*.toml")):
        walk(f.name, tomllib.loads(f.read_text(encoding="utf-8")))
    return out


def _param_sources() -> list[tuple[str, str]]:
    classes = [s.cls for s in SECTIONS] + [d.params for d in DESIGNS.values()]
    return [(f"{c.__name__}.{i.name}", i.source) for c in classes for i in c.info()]


def test_reference_keys_exist():
    assert {"Karamay2025", "Qingyang2025a", "Guian2025", "CoolProp", "Brief2025", "MEE2025"} <= KEYS


def test_every_source_resolves_inside_the_repository():
    for where, source in _param_sources() + _site_sources():
        assert not OUTSIDE.search(source), f"{where}: {source!r} points outside the repository"
        for key in KEY_LIKE.findall(source):
            assert key in KEYS, f"{where}: {key} is not defined in docs/references.md"


def test_no_pointer_outside_the_repository_in_code_comments():
    for f in [*ROOT.glob("twin/**/*.py"), *ROOT.glob("sites/**/*.py"), *ROOT.glob("examples/*.toml")]:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            assert not re.search(r"seeds? \d{3}|reference-facts|seed-facts", line), f"{f.name}:{n}: {line.strip()}"
