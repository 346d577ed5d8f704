"""twin.core.environment: every TWIN_* variable declared once, checked in one place, documented in one table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin import cli
from twin.core import diskcache
from twin.core.environment import ENVIRONMENT, MAX_THREADS, OFF, env
from twin.core.params import ConfigError

ROOT = Path(__file__).resolve().parents[3]
BAD = {
    "TWIN_CACHE_DIR": "{file}",
    "TWIN_CACHE_MAX_MB": "-5",
    "TWIN_DEBUG": "maybe",
    "TWIN_MEMORY_GB": "lots",
    "TWIN_SITE_PATH": "/nonexistent-folder",
    "TWIN_THREADS": "1.5",
}


def test_every_variable_the_code_names_is_declared():
    named = set()
    for package in ("twin", "weather", "sites", "dashboards"):
        for f in (ROOT / package).rglob("*.py"):
            named |= set(re.findall(r"\bTWIN_[A-Z_]+\b", f.read_text(encoding="utf-8")))
    assert named == set(ENVIRONMENT) == set(BAD)


def test_the_readme_table_is_the_declared_one():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(TWIN_[A-Z_]+)` \|.*$", text, re.M)}
    assert set(rows) == set(ENVIRONMENT)
    for name, var in ENVIRONMENT.items():
        cells = [c.strip() for c in rows[name].strip("|").split(" | ")]
        assert cells[1:] == [var.meaning, var.default, var.allowed], name


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_a_bad_value_is_one_line_naming_the_variable_the_value_and_what_is_allowed(name, tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("x")
    value = BAD[name].format(file=tmp_path / "file")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        env(name)
    assert cli.main(["sites"]) == 2  # whatever the command: said before it runs
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"twin: error: {name} = {value!r}: ")
    assert f"; allowed: {ENVIRONMENT[name].allowed} (unset or empty: {ENVIRONMENT[name].default})" in err


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
@pytest.mark.parametrize("value", ["", "  "])
def test_empty_is_unset(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    assert env(name) is None


def test_an_empty_cache_dir_keeps_the_cache_on_and_off_turns_it_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv(diskcache.CACHE_ENV, "")
    assert diskcache.cache_dir() == tmp_path / "pue-twin"
    for off in ("off", "OFF", "none", "0"):
        monkeypatch.setenv(diskcache.CACHE_ENV, off)
        assert env(diskcache.CACHE_ENV) == OFF and diskcache.cache_dir() is None
    monkeypatch.setenv(diskcache.CACHE_ENV, str(tmp_path / "c"))
    assert diskcache.cache_dir() == tmp_path / "c"


def test_good_values(tmp_path, monkeypatch):
    for name, text, value in (
        ("TWIN_THREADS", "3", 3),
        ("TWIN_THREADS", "8192", 8192),  # MAX_THREADS
        ("TWIN_MEMORY_GB", "0.5", 0.5),
        ("TWIN_CACHE_MAX_MB", "2.5", 2.5),
        ("TWIN_DEBUG", "Yes", True),
        ("TWIN_DEBUG", "0", False),
        ("TWIN_SITE_PATH", str(tmp_path), [tmp_path]),
    ):
        monkeypatch.setenv(name, text)
        assert env(name) == value, name


def test_the_site_library_reads_the_site_path_with_the_same_message(monkeypatch):
    import sites

    monkeypatch.setenv("TWIN_SITE_PATH", "/nonexistent-folder")
    with pytest.raises(ConfigError) as twin_side:
        env("TWIN_SITE_PATH")
    with pytest.raises(sites.SiteError) as sites_side:
        sites.load("qingyang")
    assert str(sites_side.value) == str(twin_side.value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("-1", "below 1"),
        ("0", "below 1"),
        ("two", "not a whole number"),
        ("8193", "above 8192 (MAX_THREADS, the most CPUs a Linux kernel supports)"),
        ("99999999999999999999", "above 8192"),
    ],
)
def test_threads_say_what_is_wrong(monkeypatch, text, why):
    assert MAX_THREADS == 8192
    monkeypatch.setenv("TWIN_THREADS", text)
    with pytest.raises(ConfigError, match=re.escape(f"TWIN_THREADS = '{text}': {why}")):
        env("TWIN_THREADS")


@pytest.mark.parametrize("text", ["1e-300", "0.009", "0", "-1", "inf", "nan"])
def test_memory_below_its_least_is_refused_naming_the_variable(monkeypatch, text):
    """``TWIN_MEMORY_GB=1e-300`` passed the check, then every run was refused ("0 B are
    available") without naming the variable."""
    from twin.core.environment import MIN_MEMORY_GB

    monkeypatch.setenv("TWIN_MEMORY_GB", text)
    with pytest.raises(ConfigError, match=re.escape(f"TWIN_MEMORY_GB = '{text}': ")) as err:
        env("TWIN_MEMORY_GB")
    assert f"a number of GB ≥ {MIN_MEMORY_GB:g} (10 MB" in str(err.value)
    monkeypatch.setenv("TWIN_MEMORY_GB", f"{MIN_MEMORY_GB}")
    assert env("TWIN_MEMORY_GB") == MIN_MEMORY_GB
