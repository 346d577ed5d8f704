"""Scenario and parameter contracts: types, names, tables, round trips, hashing, overrides."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twin import ConfigError, Scenario, load_scenario, save_scenario
from twin.building.cooling.chilled_water import ChilledWaterParams
from twin.building.cooling.free_air import FreeAirParams
from twin.building.cooling.liquid import Immersion1pParams, Immersion2pParams, SprayParams
from twin.building.it_load import ITParams
from twin.engine.config import SECTIONS, Case, WeatherSource, param_class, parse_override


def _write(tmp_path, text: str, name: str = "s.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_an_integer_refuses_a_float_and_names_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"weather\.seed must be a whole number, got 1\.5"):
        load_scenario(_write(tmp_path, "[weather]\nseed = 1.5\n"))
    with pytest.raises(ConfigError, match=r"facility\.racks must be a whole number"):
        ITParams(racks=2.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("utilisation = '0.5'", "facility.utilisation must be a number, got '0.5'; allowed 0 … 1$"),
        ("utilisation = nan", "facility.utilisation must be finite, got nan; allowed 0 … 1$"),
        ("racks = 'x'", "facility.racks must be a whole number, got 'x'; allowed 1 … 1,000,000$"),
    ],
)
def test_a_value_of_another_type_names_what_is_allowed(tmp_path, text, message):
    """A text or NaN where a number belongs said only "must be a number": the range is said too, as
    for a number out of it."""
    with pytest.raises(ConfigError, match=message):
        load_scenario(_write(tmp_path, f'site = "karamay"\ndesign = "spray"\n[facility]\n{text}\n'))


def test_numpy_scalars_are_numbers():
    assert WeatherSource(seed=np.int64(3)).seed == 3 and type(WeatherSource(seed=np.int64(3)).seed) is int
    assert ITParams(utilisation=np.float32(0.5)).utilisation == 0.5
    assert ITParams(it_capacity_kw=np.int32(5000)).it_capacity_kw == 5000.0
    assert FreeAirParams(evaporative=np.bool_(False)).evaporative is False


@pytest.mark.parametrize(
    ("cls", "field", "bad"),
    [
        (ChilledWaterParams, "refrigerant", "R9999"),
        (FreeAirParams, "refrigerant", "R9999"),
        (SprayParams, "fluid", "INCOMP::NOPE"),
        (Immersion1pParams, "fluid", "INCOMP::NOPE"),
        (Immersion2pParams, "fluid", "NotAFluid"),
    ],
)
def test_unknown_coolprop_fluid_is_a_config_error(cls, field, bad):
    with pytest.raises(ConfigError, match=rf"{cls.section}\.{field} = '{bad}' is not allowed"):
        cls(**{field: bad})


def test_known_fluids_accepted():
    assert ChilledWaterParams(refrigerant="R1234ze(E)").refrigerant == "R1234ze(E)"
    assert ChilledWaterParams(refrigerant="HEOS::R134a").refrigerant == "HEOS::R134a"
    assert SprayParams(fluid="INCOMP::MEG-30%").fluid == "INCOMP::MEG-30%"


def test_bad_refrigerant_in_a_scenario_file_is_one_line(tmp_path):
    p = _write(tmp_path, 'design = "chilled_water"\n[cooling.chilled_water]\nrefrigerant = "R9999"\n')
    with pytest.raises(ConfigError, match=r"cooling\.chilled_water\.refrigerant = 'R9999'"):
        load_scenario(p)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site = 5\n", r"site must be a site name or a list of names, got 5"),
        ('sites = ["guian", 3]\n', r"sites must be a site name or a list of names, got \['guian', 3\]"),
        ("design = true\n", r"design must be a design name or a list of names, got true"),
        ('site = "guian"\nsites = ["karamay"]\n', r"give site \(one\) or sites \(a list\), not both"),
        ('design = "spray"\ndesigns = ["free_air"]\n', r"give design \(one\) or designs \(a list\), not both"),
    ],
)
def test_sites_and_designs_are_refused_in_the_files_own_terms(tmp_path, text, message):
    """The message names the key the file has (``site = 5`` was reported as ``sites``) and a file
    with both spellings is refused (``sites`` won silently)."""
    with pytest.raises(ConfigError, match=message):
        load_scenario(_write(tmp_path, text))


def test_one_site_or_a_list_of_sites_load_alike(tmp_path):
    one = load_scenario(_write(tmp_path, 'site = "guian"\ndesign = "spray"\n'))
    many = load_scenario(_write(tmp_path, 'sites = ["guian"]\ndesigns = ["spray"]\n', "m.toml"))
    assert (one.sites, one.designs) == (many.sites, many.designs) == (("guian",), ("spray",))


def test_scenario_default_is_valid():
    assert Scenario().cases()


@pytest.mark.parametrize(
    "text", ["green = 5\n", "facility = 3\n", "[green]\npv = 1\n", "cooling = 2\n", "weather = [1]\n"]
)
def test_a_section_that_is_not_a_table_is_a_config_error(tmp_path, text):
    with pytest.raises(ConfigError, match="must be a table"):
        load_scenario(_write(tmp_path, text))


def test_utf16_and_non_utf8_files_are_config_errors(tmp_path):
    p = tmp_path / "u16.toml"
    p.write_bytes('name = "x"\n'.encode("utf-16"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_scenario(p)
    p = tmp_path / "latin.toml"
    p.write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_scenario(p)


EXAMPLES = sorted((Path(__file__).parents[3] / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_two_loads_are_equal_and_hash_equal(path):
    a, b = load_scenario(path), load_scenario(path)
    assert a == b and hash(a) == hash(b)
    assert len({a, b}) == 1


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_save_and_load_round_trip(path, tmp_path):
    sc = load_scenario(path)
    out = save_scenario(sc, tmp_path / "copy.toml")
    assert load_scenario(out) == sc


@pytest.mark.parametrize(("name", "value"), [("seed", 3), ("year", 2030)])
def test_a_generated_years_field_beside_a_weather_file_is_refused(name, value, tmp_path):
    text = f'[weather]\nsource = "q.epw"\n{name} = {value}\n'
    with pytest.raises(ConfigError, match=rf"s\.toml: weather\.{name} = {value} .* file q\.epw; .*not both"):
        load_scenario(_write(tmp_path, text))
    with pytest.raises(ConfigError, match=rf"weather\.{name} = {value} .*not both"):
        Scenario(sites=("qingyang",)).with_overrides(["weather.source=q.epw", f"weather.{name}={value}"])
    assert WeatherSource(source="q.epw", **{name: WeatherSource().to_dict()[name]}).is_file  # the default is no choice


def test_a_saved_weather_file_has_no_seed_and_a_new_file_drops_the_generated_years_fields(tmp_path):
    sc = Scenario(sites=("qingyang",), weather=WeatherSource(source=str(tmp_path / "q.epw")))
    weather = save_scenario(sc, tmp_path / "s.toml").read_text().split("[weather]\n")[1].split("\n\n")[0]
    assert "source =" in weather and "seed" not in weather and "year" not in weather
    assert load_scenario(tmp_path / "s.toml") == sc
    generated = WeatherSource(seed=7, year=2030, bad_records="refuse")
    assert "seed = 7" in save_scenario(Scenario(weather=generated), tmp_path / "g.toml").read_text()
    assert generated.with_source("q.epw") == WeatherSource(source="q.epw", bad_records="refuse")
    assert generated.with_source("typical") == generated


def test_a_name_with_a_newline_and_quotes_round_trips(tmp_path):
    sc = Scenario(name='two\nlines "quoted" \\ back')
    assert load_scenario(save_scenario(sc, tmp_path / "n.toml")).name == sc.name


def test_scenario_is_read_only():
    sc = Scenario(designs=("free_air", "spray"))
    with pytest.raises(TypeError):
        sc.cooling["spray"] = None  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.name = "x"  # type: ignore[misc]
    assert hash(sc) == hash(Scenario(designs=("free_air", "spray")))
    assert hash(sc) != hash(Scenario(designs=("free_air",)))


def test_section_table_agrees_with_scenario_and_case():
    fields = {f.name: f for f in dataclasses.fields(Scenario)}
    case_fields = {f.name for f in dataclasses.fields(Case)}
    for s in SECTIONS:
        assert isinstance(getattr(Scenario(), s.attr), s.cls), s
        assert s.cls.section == s.path, s
        assert (s.attr in case_fields) == s.per_case, s
    assert set(fields) - {s.attr for s in SECTIONS} == {"sites", "designs", "name", "cooling", "sweep", "site_dirs"}


def test_every_section_can_be_swept_or_set():
    for s in SECTIONS:
        name = dataclasses.fields(s.cls)[0].name
        assert param_class(f"{s.path}.{name}") == (s.cls, name)
        if s.per_case:
            assert param_class(f"{s.path}.{name}", sweep=True) == (s.cls, name)
        else:
            with pytest.raises(ConfigError, match="not a parameter"):
                param_class(f"{s.path}.{name}", sweep=True)


def test_overrides_are_validated_like_the_file():
    sc = Scenario().with_overrides(
        ["facility.it_capacity_kw=50000", "green.pv.capacity_mw=150", "cooling.free_air.envelope='A2'"]
    )
    assert sc.facility.it_capacity_kw == 50000.0 and sc.pv.capacity_mw == 150.0
    assert sc.cooling["free_air"].envelope == "A2"
    assert parse_override("cooling.chilled_water.refrigerant=R1234ze(E)") == (
        "cooling.chilled_water.refrigerant",
        "R1234ze(E)",
    )
    with pytest.raises(ConfigError, match=r"weather\.seed must be a whole number"):
        Scenario().with_overrides(["weather.seed=1.5"])


def test_storage_preset_expands_and_fields_beside_it_override(tmp_path):
    p = _write(tmp_path, '[green.storage]\npreset = "minning"\nenergy_mwh = 400\n')
    sc = load_scenario(p)
    assert sc.storage.power_mw == 100.0 and sc.storage.energy_mwh == 400.0
    with pytest.raises(ConfigError, match=r"green\.storage\.preset = 'nope' is unknown"):
        load_scenario(_write(tmp_path, '[green.storage]\npreset = "nope"\n', "b.toml"))


def test_inherited_values_are_declared_and_resolved_from_the_site():
    import sites
    from twin.money.economics import EconomicsParams

    karamay = sites.load("karamay")
    info = {i.name: i for i in EconomicsParams.info()}
    assert info["tariff_cny_per_kwh"].inherit == "site.tariff.price_cny_per_kwh"
    assert EconomicsParams().tariff_cny_per_kwh is None
    assert EconomicsParams.inherited("tariff_cny_per_kwh", karamay) == 0.45
    assert EconomicsParams.inherited("green_subsidy_pct", karamay) == 15.0
    assert EconomicsParams(tariff_cny_per_kwh=0.3).resolved("tariff_cny_per_kwh", karamay) == 0.3
    free = EconomicsParams(tariff_cny_per_kwh=0)  # a free tariff, not "the site's"
    assert free.resolved("tariff_cny_per_kwh", karamay) == 0.0
    assert ITParams(racks=10, kw_per_rack=20.0).design_kw == 200.0 and ITParams().racks is None
    with pytest.raises(ConfigError, match=r"economics\.green_subsidy_pct = -1 is out of range"):
        EconomicsParams(green_subsidy_pct=-1)
    assert "tariff_cny_per_kwh" not in Scenario().to_dict()["economics"]  # None is not written


def test_off_and_no_limit_are_none_not_zero():
    from twin.supply.storage import MINNING, StorageParams
    from twin.supply.wind import WindParams

    assert WindParams().hub_mean_speed_ms is None and WindParams().target_capacity_factor is None
    assert StorageParams().max_cycles_per_day is None and MINNING.max_cycles_per_day == 1.0
    info = {i.name: i.inherit for i in WindParams.info()} | {i.name: i.inherit for i in StorageParams.info()}
    assert info["hub_mean_speed_ms"] == "site.wind.mean_speed_ms" and info["max_cycles_per_day"] == "no limit"
    with pytest.raises(
        ConfigError, match=r"green\.wind\.hub_mean_speed_ms = 7 scales the wind, but green\.wind\.site_resource"
    ):
        WindParams(hub_mean_speed_ms=7.0, site_resource=False)
    for cls, field in [
        (WindParams, "hub_mean_speed_ms"),
        (WindParams, "target_capacity_factor"),
        (StorageParams, "max_cycles_per_day"),
    ]:
        with pytest.raises(ConfigError, match=rf"{cls.section}\.{field} = 0 is out of range"):
            cls(**{field: 0})


def _declared_units():
    from twin.building.cooling import DESIGNS
    from twin.core.variables import KPI_REGISTRY, REGISTRY

    classes = [s.cls for s in SECTIONS] + [d.params for d in DESIGNS.values()]
    params = [(f"{c.section}.{i.name}", i.units) for c in classes for i in c.info()]
    outputs = [(v.name, v.units) for v in (*REGISTRY.values(), *KPI_REGISTRY.values())]
    return params + outputs


def test_units_are_udunits_strings_and_money_is_a_currency():
    for where, units in _declared_units():
        assert not re.search(r"[/°]|CNY|MWh|kWh|yr\b", units), f"{where}: {units!r} is not a UDUNITS string"
    from twin.money.economics import EconomicsParams

    shown = {i.name: i.display_units for i in EconomicsParams.info()}
    assert shown["tariff_cny_per_kwh"] == "CNY/kWh" and shown["storage_capex_cny_per_wh"] == "CNY/Wh"


def test_units_parse_with_udunits():
    cf_units = pytest.importorskip("cf_units", reason="cf-units (UDUNITS-2) comes with the dev extra")

    def invalid(units: str) -> bool:
        try:
            cf_units.Unit(units)
        except ValueError:
            return True
        return False

    bad = [(where, u) for where, u in _declared_units() if invalid(u)]
    assert not bad, bad
    assert invalid("CNY kW-1 h-1") and invalid("MWh")  # the check can fail


def test_every_fluid_name_of_every_design_is_checked_when_read():
    from twin.building.cooling import DESIGNS

    named = 0
    for design in DESIGNS.values():
        for f in dataclasses.fields(design.params):
            if f.name in ("fluid", "refrigerant"):
                named += 1
                bad = "INCOMP::NOPE" if str(f.default).startswith("INCOMP::") else "R9999"
                with pytest.raises(ConfigError, match=rf"{design.params.section}\.{f.name} = '{re.escape(bad)}'"):
                    design.params(**{f.name: bad})
    assert named >= 7


def test_swept_and_linked_paths_are_made_absolute_against_the_file(tmp_path, monkeypatch):
    """A swept file name (``facility.profile_csv``) is relative to the scenario file as a single
    one is; a path that is a link is kept as the link, not its present target."""
    d = tmp_path / "study"
    d.mkdir()
    for name in ("u1.csv", "u2.csv"):
        (d / name).write_text("utilisation\n" + "0.6\n" * 8760)
    (d / "now.csv").symlink_to(d / "u1.csv")
    (d / "s.toml").write_text(
        'sites = ["karamay"]\ndesigns = ["free_air"]\n[facility]\nprofile = "csv"\nprofile_csv = "now.csv"\n'
        '[sweep]\n"facility.profile_csv" = ["u1.csv", "u2.csv"]\n'
    )
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(Path("study") / "s.toml")
    assert sc.facility.profile_csv == str(d / "now.csv")
    assert dict(sc.sweep)["facility.profile_csv"] == (str(d / "u1.csv"), str(d / "u2.csv"))
    monkeypatch.chdir(d)
    again = load_scenario(save_scenario(sc, tmp_path / "saved.toml"))
    assert again.facility.profile_csv == str(d / "now.csv") and again.sweep == sc.sweep


def test_a_sweep_key_written_dotted_without_quotes_is_the_same_parameter():
    """TOML reads ``facility.utilisation = [...]`` (no quotes) as a table in a table: it was refused
    as ``sweep key 'facility' is not a parameter; use SECTION.NAME`` — what had been written."""
    quoted = Scenario.from_dict(tomllib.loads('[sweep]\n"facility.utilisation" = [0.5, 0.6]\n'))
    dotted = Scenario.from_dict(tomllib.loads("[sweep]\nfacility.utilisation = [0.5, 0.6]\n"))
    assert dotted.sweep == quoted.sweep == (("facility.utilisation", (0.5, 0.6)),)
    three = Scenario.from_dict(
        tomllib.loads("designs = ['free_air']\n[sweep]\ncooling.free_air.t_supply_max = [27, 30]\n")
    )
    assert three.sweep == (("cooling.free_air.t_supply_max", (27, 30)),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sweep]\nfacility.it_capacity_kw = [1000.0, 2000.0]\n"facility.it_capacity_kw" = [3000.0]\n',
            "[sweep] 'facility.it_capacity_kw' is given twice (quoted and dotted); give it once",
        ),
        ("[sweep.facility]\n", "[sweep] facility is an empty table; write 'SECTION.NAME' = [values]"),
    ],
)
def test_a_sweep_key_given_both_ways_or_an_empty_sweep_table_is_refused(text, message):
    """Both spellings of one key ran the last list only (the first silently dropped, its cases
    repeated); an empty table in [sweep] was ignored."""
    with pytest.raises(ConfigError) as err:
        Scenario.from_dict(tomllib.loads(text))
    assert str(err.value) == message


def _number_fields() -> list[tuple[str, str]]:
    """``(section path, field)`` of every number parameter (one with a range) of every scenario
    section and cooling design."""
    from twin.building.cooling import DESIGNS

    tables = [(s.path, s.cls) for s in SECTIONS] + [(f"cooling.{n}", d.params) for n, d in DESIGNS.items()]
    return [
        (path, f.name)
        for path, cls in tables
        for f in dataclasses.fields(cls)
        if f.metadata.get("lo") is not None or f.metadata.get("hi") is not None
    ]


_TOML_VALUES = st.one_of(
    st.floats(),  # nan and ±inf too
    st.integers(-(2**70), 2**70),
    st.text(max_size=4),
    st.booleans(),
    st.dates(),
    st.lists(st.integers(-5, 5), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(-5, 5), max_size=1),
)
"""Values of each TOML type a scenario file can hold."""


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_number_fields()), _TOML_VALUES)
def test_any_toml_value_of_a_number_field_is_a_scenario_or_one_error_naming_the_field(field, value):
    """The project's rule for bad input, over every number field: a value of any TOML type is
    either a scenario or one ConfigError (a ValueError) of one line naming the field."""
    path, name = field
    table: dict = {name: value}
    for part in reversed(path.split(".")):
        table = {part: table}
    try:
        Scenario.from_dict({"sites": ["karamay"], "designs": ["free_air"], **table}, "s.toml")
    except ConfigError as exc:
        text = str(exc)
        assert f"{path}.{name}" in text and "\n" not in text, text


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        (
            "[facility]\nit_capacity_k = 5000\n",
            "unknown field facility.it_capacity_k (did you mean facility.it_capacity_kw?)",
        ),
        ('sitee = "karamay"\n', "unknown field 'sitee' (did you mean 'site'?)"),
        ("[facilty]\nutilisation = 0.5\n", "unknown field 'facilty' (did you mean 'facility'?)"),
        (
            "[green.storage]\nenergy_mw = 5\n",
            "unknown field green.storage.energy_mw (did you mean green.storage.energy_mwh?)",
        ),
        ("[facility]\nbogus = 1\n", "unknown field facility.bogus; allowed fields are it_capacity_kw, "),
    ],
)
def test_a_mistyped_field_names_the_field_it_is_a_typo_of(toml, said):
    """A typo of a real key listed every allowed field (30 of [green.pv]) and left the user to find
    the one meant; it names the nearest, as a mistyped option does on the command line. In
    Chinese too (the dashboard's editor)."""
    from dashboards.catalog import error_text

    with pytest.raises(ConfigError) as info:
        Scenario.from_dict(tomllib.loads(toml), "s.toml")
    assert said in str(info.value)
    zh, in_zh = error_text(info.value, "zh")
    assert in_zh and ("（是否为 " in zh) == ("did you mean" in said)


def test_a_mistyped_set_key_names_the_key_it_is_a_typo_of():
    with pytest.raises(ConfigError, match=r"unknown field 'utilization' \(did you mean 'facility\.utilisation'\?\)"):
        parse_override("facility.utilization=0.5")
