"""The site library: built-in sites, sources on every number, user sites and validation errors."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

import sites
from sites.library import BUILTIN_DIR

REQUIRED = ["karamay", "qingyang", "guian", "yinchuan", "ulanqab", "beijing", "shanghai", "guangzhou", "us_dulles"]


def test_required_sites_are_built_in():
    assert set(REQUIRED) <= set(sites.available())


@pytest.mark.parametrize("key", sites.available())
def test_every_site_loads_and_every_table_has_a_source(key):
    s = sites.load(key)
    assert s.key == key
    for part in (s.location, s.normals, s.tariff, s.grid, s.policy, *s.reported):
        assert part.source.strip()
    assert len(s.normals.t_mean_c) == 12


def test_seed_figures_are_in_the_library():
    assert sites.load("karamay").tariff.price_cny_per_kwh == 0.45
    assert sites.load("qingyang").tariff.price_cny_per_kwh == 0.398
    assert sites.load("us_dulles").tariff.price_cny_per_kwh == 0.63
    assert sites.load("karamay").reported_value("pue") == 1.08
    assert sites.load("guian").reported_value("pue") == 1.12
    assert sites.load("qingyang").reported_value("green_share") == 80.0
    assert sites.load("qingyang").location.elevation_m == 1421.0


def test_tariffs_without_a_source_say_assumption():
    seeded = {"karamay", "qingyang", "us_dulles"}
    for key in set(sites.available()) - seeded:
        assert "assumption" in sites.load(key).tariff.source


def test_grid_factors_match_reference_facts():
    # MEE2025 (docs/references.md), MEE/NBS notice 2025 No. 47 (2023 data), kgCO2/kWh
    expected = {"karamay": 0.6021, "qingyang": 0.4471, "yinchuan": 0.6187, "guian": 0.5683, "ulanqab": 0.6479}
    for key, factor in expected.items():
        assert sites.load(key).grid.co2_kg_per_kwh == factor


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Gui'an", "guian"),
        ("Minning", "yinchuan"),
        ("Shenzhen", "guangzhou"),
        ("US Dulles", "us_dulles"),
        ("KARAMAY", "karamay"),
        ("银川", "yinchuan"),
        ("闽宁", "yinchuan"),
        ("Yinchuan (Minning) 银川（闽宁）", "yinchuan"),
        ("Karamay 克拉玛依", "karamay"),
        ("贵安", "guian"),
    ],
)
def test_names_and_aliases(name, key):
    assert sites.load(name).key == key


def test_unknown_site_lists_known_ones():
    with pytest.raises(sites.SiteError, match="unknown site 'atlantis'; known sites: beijing"):
        sites.load("atlantis")


def _copy_site(tmp_path: Path, key: str = "karamay", new_key: str = "mysite") -> Path:
    text = (BUILTIN_DIR / f"{key}.toml").read_text(encoding="utf-8").replace(f'key = "{key}"', f'key = "{new_key}"')
    p = tmp_path / f"{new_key}.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_user_site_directory(tmp_path, monkeypatch):
    _copy_site(tmp_path)
    assert "mysite" in sites.available([tmp_path])
    assert sites.load("mysite", [tmp_path]).location.latitude_deg == 45.62
    monkeypatch.setenv(sites.SITE_PATH_ENV, str(tmp_path))
    assert sites.load("mysite").key == "mysite"


def test_a_name_of_two_sites_is_refused_naming_both(tmp_path):
    """A user's site named "Minning" (an alias of the built-in yinchuan) was run in its place, with
    no word: which one is meant is not ours to guess; the keys still tell them apart."""
    p = _copy_site(tmp_path, "qingyang", "mysite")
    p.write_text(p.read_text(encoding="utf-8").replace('name = "Qingyang"', 'name = "Minning"'), encoding="utf-8")
    message = (
        f"site 'Minning' is the name or alias of 2 sites: mysite ({p}), yinchuan ({BUILTIN_DIR / 'yinchuan.toml'}); "
        "give its key"
    )
    with pytest.raises(sites.SiteError) as err:
        sites.load("Minning", [tmp_path])
    assert str(err.value) == message
    assert sites.load("mysite", [tmp_path]).location.latitude_deg == 35.73
    assert sites.load("yinchuan", [tmp_path]).key == "yinchuan"
    assert sites.load("Minning").key == "yinchuan"


def test_user_site_overrides_builtin_of_same_key(tmp_path):
    p = tmp_path / "karamay.toml"
    shutil.copy(BUILTIN_DIR / "karamay.toml", p)
    p.write_text(p.read_text(encoding="utf-8").replace("price_cny_per_kwh = 0.45", "price_cny_per_kwh = 0.41"))
    assert sites.load("karamay", [tmp_path]).tariff.price_cny_per_kwh == 0.41
    assert sites.load("karamay").tariff.price_cny_per_kwh == 0.45


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("latitude_deg = 45.62", "latitude_deg = 95", r"location.latitude_deg = 95 is out of range; allowed -90 … 90"),
        (
            "latitude_deg = 45.62",
            "lattitude_deg = 45.62",
            r"unknown field location\.lattitude_deg \(did you mean location\.latitude_deg\?\); allowed",
        ),
        ('name = "Karamay"', 'nme = "Karamay"', r"unknown field nme \(did you mean name\?\); allowed top-level"),
        ("elevation_m = 449.5\n", "", r"missing field location.elevation_m"),
        (
            "price_cny_per_kwh = 0.45",
            'price_cny_per_kwh = "cheap"',
            r"tariff.price_cny_per_kwh must be a number, got 'cheap'; allowed 0 … 10$",
        ),
        (
            "elevation_m = 449.5\n",
            'elevation_m = ""\n',
            r"location.elevation_m must be a number, got ''; allowed -500 … 6000$",
        ),
        (
            "elevation_m = 449.5\n",
            "elevation_m = nan\n",
            r"location.elevation_m must be finite, got nan; allowed -500 … 6000$",
        ),
        (
            "rh_mean_pct = [77,",
            "rh_mean_pct = [177,",
            r"normals.rh_mean_pct\[1\] = 177 is out of range; allowed 0 … 100",
        ),
        ("ghi_kwh_m2 = [50, ", "ghi_kwh_m2 = [", r"normals.ghi_kwh_m2 must be a list of 12 monthly values, got 11"),
        ("t_mean_c = [-14.3,", "t_mean_c = [-24.3,", r"month 1: need t_min_daily_mean_c ≤ t_mean_c"),
        ("schema = 1", "schema = 2", r"schema = 2; this version reads schema = 1"),
        ('key = "mysite"', 'key = "other"', r"must match the file name"),
        ('tou_hours = ["valley"', 'tou_hours = ["night"', r"tariff.tou_hours must be a list of 24 names from valley"),
        ("peak = 1.5 }", "sharp = 1.5 }", r"tariff.tou_factors has no factor for period 'peak'"),
        (
            "clean_share = [0.24,",
            "clean_share = [1.24,",
            r"grid.clean_share\[1\] = 1.24 is out of range; allowed 0 … 1",
        ),
        ("mean_speed_ms = 6.5", "mean_speed_ms = -2", r"wind.mean_speed_ms = -2 is out of range"),
        (  # numbers in full (weather.fmt.number), never 1e+07
            "elevation_m = 449.5\n",
            "elevation_m = 1e7\n",
            r"location.elevation_m = 10000000 is out of range; allowed -500 … 6000$",
        ),
        (
            "rh_min_daily_mean_pct = [70,",
            "rh_min_daily_mean_pct = [80,",
            r"normals.rh_min_daily_mean_pct\[1\] = 80 is above rh_mean_pct = 77",
        ),
        (
            "rh_min_daily_mean_pct = [70,",
            "rh_min_daily_mean_pct = [-1,",
            r"normals.rh_min_daily_mean_pct\[1\] = -1 is out of range; allowed 0 … 100",
        ),
    ],
)
def test_invalid_site_files_name_file_field_value(tmp_path, old, new, message):
    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(sites.SiteError, match=message) as info:
        sites.load("mysite", [tmp_path])
    assert str(p) in str(info.value)


def test_broken_toml_and_missing_directory(tmp_path):
    (tmp_path / "bad.toml").write_text("schema = \n", encoding="utf-8")
    with pytest.raises(sites.SiteError, match=r"bad.toml: not valid TOML"):
        sites.load("bad", [tmp_path])
    with pytest.raises(sites.SiteError, match=r"nope: no such site directory$"):
        sites.available([tmp_path / "nope"])


def test_a_site_file_saved_with_a_byte_order_mark_is_read_as_a_scenario_file_is(tmp_path):
    """A Windows editor's UTF-8 with BOM was refused (``not valid TOML: Invalid statement (at line
    1, column 1)``) where a scenario file with one is read."""
    text = (BUILTIN_DIR / "qingyang.toml").read_text(encoding="utf-8").replace('key = "qingyang"', 'key = "mysite"')
    (tmp_path / "mysite.toml").write_text("\ufeff" + text, encoding="utf-8")
    assert sites.load("mysite", [tmp_path]).location == sites.load("qingyang").location


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "the site file holds no fields (it is empty or comments only); it starts with schema = 1"),
        ("# a site\n", "the site file holds no fields (it is empty or comments only); it starts with schema = 1"),
        ('key = "mysite"\n', "no schema field; this version reads schema = 1"),
    ],
)
def test_an_empty_site_file_or_one_without_schema_says_so(tmp_path, text, said):
    """Both said ``schema = None; this version reads schema = 1`` (Python's None)."""
    (tmp_path / "mysite.toml").write_text(text, encoding="utf-8")
    with pytest.raises(sites.SiteError) as info:
        sites.load("mysite", [tmp_path])
    assert str(info.value) == f"{tmp_path / 'mysite.toml'}: {said}"


def test_site_files_are_plain_toml_with_schema_1():
    for f in BUILTIN_DIR.glob("*.toml"):
        with f.open("rb") as fh:
            assert tomllib.load(fh)["schema"] == 1


def test_every_built_in_site_has_a_clean_share_wind_resource_and_tariff_sources():
    for key in sites.available():
        s = sites.load(key)
        assert s.grid.clean_share is not None and len(s.grid.clean_share) == 12 and s.grid.clean_share_source
        assert s.wind is not None and s.wind.source and s.wind.height_m > 10
        assert s.tariff.demand_charge_source
        assert s.tariff.tou_hours is None or s.tariff.tou_source


@pytest.mark.parametrize(("lag", "ok"), [(0.95, True), (0.951, False)])
def test_variability_has_one_schema_with_the_generator(tmp_path, lag, ok):
    from weather import generator

    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8").replace("t_daily_lag1 = 0.785", f"t_daily_lag1 = {lag}")
    p.write_text(text.replace("t_daily_lag2 = 0.479", "t_daily_lag2 = 0.9"), "utf-8")  # a pair that exists
    if not ok:
        with pytest.raises(sites.SiteError, match=rf"mysite\.toml: variability\.t_daily_lag1 = {lag} is out of range"):
            sites.load("mysite", [tmp_path])
        with pytest.raises(generator.WeatherError, match=rf"t_daily_lag1 = {lag}; allowed 0 … 0\.95"):
            generator.Variability(**{**generator.DEFAULT_VARIABILITY.__dict__, "t_daily_lag1": lag})
        return
    site = sites.load("mysite", [tmp_path])  # what the site file accepts, the generator uses
    assert generator.as_variability(site.variability).t_daily_lag1 == lag


def test_a_partial_set_of_daily_extreme_fields_is_refused_naming_the_site_file(tmp_path):
    """The daily maximum's and minimum's fields come together or not at all: the site file's
    error names the file, as its range and type errors do (the generator's says the same)."""
    p = _copy_site(tmp_path)
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    p.write_text("".join(line for line in lines if not line.startswith("t_min_daily_sd_c")), "utf-8")
    with pytest.raises(sites.SiteError, match=r"mysite\.toml: variability\.t_min_daily_sd_c is missing: .* together"):
        sites.load("mysite", [tmp_path])


def test_a_lag_pair_no_process_has_is_refused_by_the_site_file_and_the_generator(tmp_path):
    """Both values in range, ρ2 = −0.5 ≤ 2·0.703² − 1 = −0.012: one SiteError naming both."""
    from weather import generator

    p = _copy_site(tmp_path)
    p.write_text(p.read_text(encoding="utf-8").replace("t_dew_daily_lag2 = 0.415", "t_dew_daily_lag2 = -0.5"), "utf-8")
    with pytest.raises(
        sites.SiteError,
        match=r"mysite\.toml: variability\.t_dew_daily_lag1 = 0\.703 with variability\.t_dew_daily_lag2 = -0\.5: "
        r"no stationary process .* allowed t_dew_daily_lag2 > 2·t_dew_daily_lag1² − 1 = -0\.012",
    ):
        sites.load("mysite", [tmp_path])
    with pytest.raises(generator.WeatherError, match=r"variability\.t_dew_daily_lag2 = -0\.5"):
        generator.as_variability({**sites.load("karamay").variability, "t_dew_daily_lag2": -0.5})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[1.0, 2.0]", r"variability\.t_dew_hot_c must be a list of 12 monthly values, got 2"),
        (
            "[" + ", ".join(["0.0"] * 11) + ", 25.0]",
            r"variability\.t_dew_hot_c\[12\] = 25 is out of range; allowed -20 … 20",
        ),
    ],
)
def test_a_bad_hot_hour_dew_point_table_is_refused_in_one_line(tmp_path, value, message):
    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8")
    start = text.index("t_dew_hot_c = ")
    end = text.index("\n", start)
    p.write_text(text[:start] + f"t_dew_hot_c = {value}" + text[end:], "utf-8")
    with pytest.raises(sites.SiteError, match=rf"mysite\.toml: {message}") as err:
        sites.load("mysite", [tmp_path])
    assert "\n" not in str(err.value)


def test_the_hot_hour_dew_point_table_is_optional(tmp_path):
    from weather import generator

    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8")
    start = text.index("t_dew_hot_c = ")
    p.write_text(text[:start] + text[text.index("\n", start) + 1 :], "utf-8")
    assert generator.as_variability(sites.load("mysite", [tmp_path]).variability).t_dew_hot_c is None


def _with_variability(p: Path, lines: str) -> None:
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("[variability]\n", f"[variability]\n{lines}"), "utf-8")


def test_a_wind_lag_pair_no_hourly_process_has_is_refused_when_the_site_file_is_read(tmp_path):
    """Refused on reading (not only when a year is generated), in one line naming the file, both
    fields, their values and the lag-2 values the generator takes beside that lag-1."""
    p = _copy_site(tmp_path)
    _with_variability(p, "wind_hourly_lag1 = 0.1\nwind_hourly_lag2 = 0.9\n")
    with pytest.raises(sites.SiteError) as err:
        sites.load("mysite", [tmp_path])
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{p}: variability.wind_hourly_lag1 = 0.1 with ")
    assert "variability.wind_hourly_lag2 = 0.9: no stationary hourly process" in msg
    assert "allowed with wind_hourly_lag1 = 0.1: wind_hourly_lag2 -0.5 … 0.73" in msg


def test_a_wind_lag_pair_in_the_allowed_range_is_read_and_generated(tmp_path):
    from weather import generator

    p = _copy_site(tmp_path)
    lo, hi = sites.library.wind_lag2_range(0.5)
    assert -0.5 <= lo < hi <= 0.95
    for lag2 in (lo, hi):
        _copy_site(tmp_path)  # afresh
        _with_variability(p, f"wind_hourly_lag1 = 0.5\nwind_hourly_lag2 = {lag2}\n")
        generator.hourly_ar2_for_residual(0.5, lag2)  # what the file accepts, the generator takes
        assert sites.library.read_site_file(p).variability["wind_hourly_lag2"] == lag2


@pytest.mark.parametrize(("value", "warned"), [(3.0, False), (4.45, True)])
def test_a_peak_hour_spread_beyond_the_generators_bound_is_read_with_a_warning(tmp_path, value, warned):
    """``t_peak_hour_sd_h`` beyond the drawn spread's bound: the generator warned on every year it
    drew, without the site (``variability.t_peak_hour_sd_h up to 4.45 h``); the site file's reading
    says it once, naming the file and the month."""
    import warnings

    from twin.engine.weather_source import site_weather
    from weather import generator
    from weather.dataset import PEAK_HOUR_SD_BOUND, WeatherWarning

    assert PEAK_HOUR_SD_BOUND == generator.PEAK_HOUR_SD_MAX
    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8")
    start = text.index("t_peak_hour_sd_h = ")
    end = text.index("\n", start)
    p.write_text(text[:start] + "t_peak_hour_sd_h = [1.0" + ", 1.0" * 10 + f", {value}]" + text[end:], "utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sites.library.read_site_file(p)  # reading alone says nothing: the site's load does
        site = sites.load("mysite", [tmp_path])
        site_weather(site, seed=0)  # the generator draws with the bound, saying nothing more
    mine = [str(w.message) for w in caught if issubclass(w.category, WeatherWarning)]
    assert len(mine) == warned
    if warned:
        assert mine[0].startswith(
            f"{p}: variability.t_peak_hour_sd_h up to 4.45 h (December): a generated year spreads"
        )
        assert "by at most 3 h (weather.dataset.PEAK_HOUR_SD_BOUND)" in mine[0]


def test_the_built_in_karamay_loads_without_a_warning_on_every_command():
    """The built-in Karamay's December ``t_peak_hour_sd_h`` (4.45 h) is beyond the generator's
    3 h: documented in the README, not said on every command that loads Karamay (a copy of the
    same file in a user's folder is warned, above)."""
    import warnings

    from weather.dataset import PEAK_HOUR_SD_BOUND, WeatherWarning

    site = sites.load("karamay")
    assert max(site.variability["t_peak_hour_sd_h"]) > PEAK_HOUR_SD_BOUND  # the case this is about
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sites.load("karamay")
    assert not [w for w in caught if issubclass(w.category, WeatherWarning)]


@pytest.mark.parametrize(("value", "warned"), [(3.0, False), (-3.5, True)])
def test_a_dip_slope_beyond_the_generators_bound_is_read_with_a_warning(tmp_path, value, warned):
    """``t_dew_dip_slope`` may be what a record measures (±10 K per SD), but a generated year moves
    the dip by at most the generator's bound, which the warning names (one fact with the generator)."""
    import warnings

    from weather import generator
    from weather.dataset import DIP_SLOPE_BOUND, VARIABILITY_RANGES, WeatherWarning

    assert DIP_SLOPE_BOUND == generator.DIP_SLOPE_MAX
    assert VARIABILITY_RANGES["t_dew_dip_slope"][1] >= DIP_SLOPE_BOUND
    p = _copy_site(tmp_path)
    text = p.read_text(encoding="utf-8")
    start = text.index("t_dew_dip_slope = ")
    end = text.index("\n", start)
    p.write_text(text[:start] + f"t_dew_dip_slope = [{value}" + ", 0.0" * 11 + "]" + text[end:], "utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sites.library.read_site_file(p)  # reading alone says nothing: the site's load does
        sites.load("mysite", [tmp_path])
    mine = [
        str(w.message)
        for w in caught
        if issubclass(w.category, WeatherWarning) and "variability.t_dew_dip_slope" in str(w.message)
    ]
    assert len(mine) == warned
    if warned:
        assert mine[0].startswith(f"{p}: variability.t_dew_dip_slope up to -3.5 K per SD")
        assert "at most 3 K per SD" in mine[0]


@pytest.mark.parametrize("key", sites.available())
def test_every_name_of_a_built_in_site_loads_that_site(key):
    """No two built-in sites share a name, alias or part of a Chinese name (it would be refused)."""
    from sites.library import _zh_parts

    s = sites.load(key)
    for name in (s.name, f"{s.name} {s.name_zh}", *s.aliases, *_zh_parts(s.name_zh)):
        assert sites.load(name).key == key


@pytest.mark.parametrize("value", ["0", "0.5", "0.96"])
def test_the_dew_points_hourly_persistence_out_of_its_range_is_refused(tmp_path, value):
    """``t_dew_hourly_lag1`` 0 … 0.6 made a generated dew point jump 10 … 14 K in an hour (the
    jumps a reader flags in a record as implausible): its range starts at 0.6."""
    p = _copy_site(tmp_path, "yinchuan", "mysite")
    p.write_text(
        p.read_text(encoding="utf-8").replace("t_dew_hourly_lag1 = 0.745", f"t_dew_hourly_lag1 = {value}"),
        encoding="utf-8",
    )
    with pytest.raises(
        sites.SiteError, match=rf"variability.t_dew_hourly_lag1 = {value} is out of range; allowed 0.6 … 0.95"
    ):
        sites.load("mysite", [tmp_path])
