"""weather.fmt.number: the one formatter of numbers in messages (twin.core.fmt re-exports it)."""

from __future__ import annotations

import numpy as np
import pytest

import weather.fmt
from weather.dataset import check_location
from weather.fmt import number, span


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2**31 - 1, "2,147,483,647"),
        (2147483647.0, "2,147,483,647"),  # a float bound: in full, not 2.14748e+09
        (np.int64(123456), "123,456"),
        (1e7, "10,000,000"),
        (8050, "8050"),  # below 100,000: no separator (a port, a year)
        (65535, "65535"),
        (-5.0, "-5"),
        (0.0, "0"),
        (0.1 + 0.2, "0.3"),
        (np.float64(2.5), "2.5"),
        (1e-6, "1e-06"),
        (1e300, "1e+300"),
        (10**20, "1e+20"),
        (10**400, "about 10^400"),  # beyond any float
        (float("inf"), "inf"),
        (True, "True"),
    ],
)
def test_number(value, text):
    assert number(value) == text


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (1636.7, {"quantity": True}, "1,636.7"),  # an amount is grouped whole or not (was 1636.7 beside 1,637)
        (30000, {"quantity": True}, "30,000"),
        (1.08, {"quantity": True}, "1.08"),
        (1.0984, {"places": 3}, "1.098"),
        (28598.4, {"quantity": True, "places": 0}, "28,598"),
        (999.96, {"quantity": True, "places": 1}, "1,000.0"),  # grouped as the rounded value is
        (np.int64(1234), {"quantity": True, "places": 0}, "1,234"),
        (5, {"places": 2}, "5.00"),
        (-0.04, {"places": 1}, "-0.0"),
        (123456.789, {"places": 1}, "123,456.8"),  # a count's grouping from 100,000
        (1e20, {"quantity": True, "places": 2}, "1e+20"),  # beyond 10^15: as without places
        (float("nan"), {"places": 1}, "nan"),
    ],
)
def test_an_amount_and_fixed_places(value, kwargs, text):
    """The dashboard's cards and tables wrote numbers with Python's own ``f"{x:,.0f}"`` beside this
    formatter; they use it, with ``places`` for a result shown to its precision."""
    assert number(value, **kwargs) == text


def test_a_given_value_is_not_grouped():
    assert number(99999, grouped=False) == "99999"
    assert number(1e12, grouped=False) == "1000000000000"
    assert number(0.35, grouped=False) == "0.35"


def test_a_float32_value_prints_as_written() -> None:
    """A value read from a float32 NetCDF variable (70.1 stored as 70.0999984741211 in double)."""
    import numpy as np

    assert number(np.float32(70.1), grouped=False) == "70.1"
    assert number(np.float32(70.1)) == "70.1"
    assert number(np.float32(3.0)) == "3"
    assert number(np.bool_(True)) == "True"  # not float("True")


def test_the_users_value_is_echoed_exactly_and_a_huge_negative_keeps_its_sign() -> None:
    """An out-of-range value a user typed must not print equal to its bound (1.0000000000001
    against 1: 12 significant digits would show 1)."""
    assert number(1.0000000000001, grouped=False) == "1.0000000000001"
    assert number(-(10**400)).startswith("about -10^")


def test_span_writes_bounds_with_the_formatter_and_infinities():
    assert span(0, 2**31 - 1) == "0 … 2,147,483,647"
    assert span(None, 1e6, "MW") == "-∞ … 1,000,000 MW"
    assert span(1, None) == "1 … ∞"


def test_twin_uses_the_same_formatter():
    """One formatter for every package: twin's name is weather's function, not a copy."""
    import twin.core.fmt

    assert twin.core.fmt.number is weather.fmt.number
    assert twin.core.fmt.span is weather.fmt.span


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((1e6, 10.0, 0.0), "w.epw: latitude = 1000000 is outside -90 … 90"),
        ((30.0, 2e6, 0.0), "w.epw: longitude = 2000000 is outside -180 … 180"),
        ((30.0, 100.0, 1e6), "w.epw: utc_offset_h = 1000000 is outside -12 … 14"),
    ],
)
def test_weather_messages_write_numbers_in_full(args, text):
    """A value the user gave is repeated as typed (never 1e+06)."""
    message = check_location(*args, source="w.epw")
    assert message == text
    assert "e+" not in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "true"),
        (False, "false"),
        ("x", "'x'"),
        (0.5, "0.5"),
        (__import__("datetime").date(2021, 1, 1), "2021-01-01"),
        ([{"utilisation": 0.5}], "[{utilisation = 0.5}]"),
        ({"a": [1, True]}, "{a = [1, true]}"),
        ("x" * 2_000_000, "'" + "x" * 58 + "… (2,000,002 characters)"),
    ],
)
def test_a_value_a_user_gave_is_shown_in_tomls_spelling_and_cut_when_long(value, shown):
    """``got datetime.date(2021, 1, 1)``, ``got True`` and a 2 MB site name echoed whole were
    Python's reprs, not what the user wrote."""
    from weather.fmt import given

    assert given(value) == shown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (99999999999999999999999, "99999999999999999999999"),
        (2**63 - 1, "9223372036854775807"),
        (10**400, "about 10^400"),
    ],
)
def test_a_whole_number_a_user_gave_is_repeated_digit_for_digit(value, text):
    """``--set weather.seed=99999999999999999999999`` said ``weather.seed = 1e+23``."""
    assert number(value, grouped=False) == text


def test_a_float_parameter_given_a_huge_whole_number_names_it_as_typed():
    """``--set facility.it_capacity_kw=9223372036854775807`` said ``9.223372036854776e+18``."""
    from twin.building.it_load import ITParams
    from twin.core.params import ConfigError

    with pytest.raises(ConfigError, match=r"^facility\.it_capacity_kw = 9223372036854775807 is out of range"):
        ITParams.from_dict({"it_capacity_kw": 2**63 - 1})


def test_a_typed_number_is_repeated_as_typed_and_is_a_float_otherwise() -> None:
    """``twin size --clean-share 0.00001`` said ``--clean-share 1e-05``: Python's spelling, not the user's."""
    import pickle

    x = weather.fmt.read_typed(" 0.00001 ")
    assert number(x, grouped=False) == "0.00001" and number(x) == "1e-05"  # a bound's spelling when read
    assert x == 1e-05 and repr(x) == "1e-05" and float(x) == 1e-05 and type(x + 1) is float
    back = pickle.loads(pickle.dumps(x))
    assert back == x and number(back, grouped=False) == "0.00001"
    assert type(weather.fmt.read_typed("1e400")) is weather.fmt.Overflow  # said with why, as before
    assert type(weather.fmt.read_typed("inf")) is float
