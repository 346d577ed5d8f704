"""A new scenario section is one line in ``twin/engine/config.py``.

The test does what a contributor does: it adds one line to the source of the configuration
module (a copy, loaded under another module name; the file itself is not touched) and checks
that the new section loads from TOML, saves, takes ``--set`` and sweeps, and reaches every
:class:`Case` (a per-case section) or stays scenario-wide.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

import twin.engine.config as config
from twin.core.params import ConfigError, Params, param


@dataclass(frozen=True)
class TrialParams(Params):
    """A throw-away section for the test."""

    section = "trial"

    knob: float = param(1.0, 0.0, 10.0, units="kW", source="assumption: a test knob")
    mode: str = param("a", choices=("a", "b"), source="assumption: a test choice")


TRIAL_PRESETS = {"big": TrialParams(knob=9.0, mode="b")}


def _config_with(owner: str, line: str, monkeypatch) -> types.ModuleType:
    """``twin.engine.config`` with ``line`` added at the end of class ``owner``'s body."""
    path = Path(config.__file__)
    source = path.read_text(encoding="utf-8")
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == owner)
    lines = source.splitlines()
    lines.insert(cls.end_lineno or 0, f"    {line}")
    name = "twin.engine._config_plus_one_line"
    module = types.ModuleType(name)
    module.__dict__.update(__file__=str(path), TrialParams=TrialParams, TRIAL_PRESETS=TRIAL_PRESETS)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look the module up by name
    exec(compile("\n".join(lines) + "\n", str(path), "exec"), module.__dict__)
    return module


def test_a_per_case_section_is_one_line(tmp_path, monkeypatch):
    m = _config_with("CaseSections", "trial: TrialParams = section(TrialParams, presets=TRIAL_PRESETS)", monkeypatch)
    s = {s.path: s for s in m.SECTIONS}["trial"]
    assert (s.attr, s.cls, s.per_case) == ("trial", TrialParams, True)
    assert "trial" in {f.name for f in dataclasses.fields(m.Case)}

    p = tmp_path / "s.toml"
    p.write_text('site = "karamay"\n[trial]\nknob = 2.5\n[sweep]\n"trial.knob" = [3, 4]\n', encoding="utf-8")
    sc = m.load_scenario(p)
    assert sc.trial == TrialParams(knob=2.5) and hash(sc) == hash(m.load_scenario(p))
    assert [c.trial.knob for c in sc.cases()] == [3.0, 4.0]
    assert [c.swept for c in sc.cases()] == [(("trial.knob", 3),), (("trial.knob", 4),)]
    one = sc.one_case(sc.cases()[1])
    assert one.trial.knob == 4.0 and one.sweep == () and one.cases()[0].trial == one.trial

    out = m.save_scenario(sc, tmp_path / "copy.toml")
    assert "[trial]" in out.read_text(encoding="utf-8") and m.load_scenario(out) == sc

    assert sc.with_overrides(["trial.mode=b"]).trial.mode == "b"
    assert dataclasses.replace(sc, trial=TrialParams(knob=5.0)).trial.knob == 5.0
    p.write_text('[trial]\npreset = "big"\nknob = 7\n', encoding="utf-8")
    assert m.load_scenario(p).trial == TrialParams(knob=7.0, mode="b")

    with pytest.raises(ConfigError, match=r"trial\.knob = 11 is out of range"):
        sc.with_overrides(["trial.knob=11"])
    with pytest.raises(ConfigError, match=r"'trial\.nope': unknown field 'nope'; allowed: knob, mode"):
        sc.with_overrides(["trial.nope=1"])
    with pytest.raises(ConfigError, match=r"trial must be TrialParams"):
        m.Scenario(trial=1)


def test_a_scenario_wide_section_is_one_line(tmp_path, monkeypatch):
    m = _config_with("Scenario", "trial: TrialParams = section(TrialParams)", monkeypatch)
    s = {s.path: s for s in m.SECTIONS}["trial"]
    assert (s.attr, s.per_case) == ("trial", False)
    assert "trial" not in {f.name for f in dataclasses.fields(m.Case)}
    sc = m.Scenario().with_overrides(["trial.knob=2"])
    assert sc.trial.knob == 2.0
    assert m.load_scenario(m.save_scenario(sc, tmp_path / "s.toml")) == sc
    with pytest.raises(ConfigError, match=r"sweep key 'trial\.knob' is not a parameter"):
        m.Scenario(sweep={"trial.knob": [1, 2]})


def test_the_real_module_has_no_trial_section():
    assert "trial" not in {s.path for s in config.SECTIONS}  # the copy changed nothing


def test_a_preset_given_by_set_is_laid_over_the_scenario_first():
    sc = config.Scenario(designs=("chilled_water",))
    legacy = sc.with_overrides(["electrical.ups_loss_linear=0.05", "preset=legacy"])
    assert legacy.cooling["chilled_water"].t_chw_supply == 7.0  # the baseline's value replaced the default
    assert legacy.electrical.ups_loss_no_load == 0.025 and legacy.electrical.ups_loss_linear == 0.05
    minning = sc.with_overrides(["green.storage.energy_mwh=400", "green.storage.preset=minning"])
    assert minning.storage == dataclasses.replace(config.STORAGE_PRESETS["minning"], energy_mwh=400.0)
    with pytest.raises(ConfigError, match=r"preset = 'nope' is unknown; choose one of best_practice, legacy"):
        sc.with_overrides(["preset=nope"])
    with pytest.raises(ConfigError, match=r"green\.storage\.preset = 'nope' is unknown; presets: minning"):
        sc.with_overrides(["green.storage.preset=nope"])
    with pytest.raises(ConfigError, match=r"'green\.pv\.preset': unknown field 'preset'"):
        sc.with_overrides(["green.pv.preset=x"])
