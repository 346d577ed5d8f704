"""Named baselines: legacy and best_practice."""

from __future__ import annotations

import pytest

from twin import ConfigError, Scenario, annual_kpis, load_scenario, save_scenario
from twin.cli import main
from twin.engine.presets import BASELINES, apply_preset


def test_a_preset_lies_under_the_scenarios_own_values():
    data = apply_preset({"preset": "legacy", "cooling": {"chilled_water": {"t_chw_supply": 9.0}}})
    assert data["cooling"]["chilled_water"]["t_chw_supply"] == 9.0  # the scenario's value wins
    assert data["cooling"]["chilled_water"]["economiser"] is False  # the rest from the preset
    assert data["electrical"] == BASELINES["legacy"]["electrical"]
    assert apply_preset({"preset": "best_practice"}) == {}


def test_an_unknown_preset_names_the_choices():
    with pytest.raises(ConfigError, match="preset = 'modern' is unknown; choose one of best_practice, legacy"):
        Scenario.from_dict({"preset": "modern"})


def test_legacy_plant_against_best_practice_at_qingyang():
    legacy = Scenario.from_dict({"sites": ["qingyang"], "designs": ["chilled_water"], "preset": "legacy"})
    best = Scenario.from_dict({"sites": ["qingyang"], "designs": ["chilled_water"], "preset": "best_practice"})
    assert best == Scenario(sites=("qingyang",), designs=("chilled_water",))
    p_legacy, p_best = float(annual_kpis(legacy)["pue"]), float(annual_kpis(best)["pue"])
    # the "typical facility" of older surveys: PUE 1.4–1.7 (issue 13; Uptime's 2024 average 1.56)
    assert 1.4 < p_legacy < 1.7
    assert p_best < p_legacy - 0.2


def test_a_preset_saved_and_loaded_is_the_same_scenario(tmp_path):
    f = tmp_path / "a.toml"
    f.write_text('preset = "legacy"\nsite = "guian"\ndesign = "chilled_water"\n')
    sc = load_scenario(f)
    assert sc.cooling["chilled_water"].t_chw_supply == 7.0
    save_scenario(sc, tmp_path / "b.toml")
    assert load_scenario(tmp_path / "b.toml") == sc


def test_cli_runs_a_preset_and_refuses_it_beside_a_file(tmp_path, capsys):
    assert main(["run", "--site", "karamay", "--cooling", "chilled_water", "--preset", "legacy", "--no-output"]) == 0
    assert "chilled_water" in capsys.readouterr().out
    f = tmp_path / "a.toml"
    f.write_text('site = "guian"\ndesign = "spray"\n')
    assert main(["run", str(f), "--preset", "legacy", "--no-output"]) == 2
    assert "give a scenario file or --site/--cooling/--preset, not both" in capsys.readouterr().err
