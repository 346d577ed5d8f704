"""weather.files: the one check of an input path (weather files, scenario files, case lists, site folders)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import weather
from tests.conftest import epw_path
from weather.files import GLUED_HAN, input_dir, input_dirs, input_file, station_lines, station_text


class OwnError(ValueError):
    pass


def test_a_readable_file_is_returned(tmp_path):
    p = tmp_path / "w.epw"
    p.write_text("x")
    assert input_file(str(p), "weather file") == p


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.epw", "missing.epw: no such weather file"),
        (
            lambda d: (d / "adir").mkdir() or d / "adir",
            "adir: is a directory, not a weather file; give the file's path",
        ),
        (lambda d: os.devnull, "/dev/null: is not a regular file (a device, pipe or socket); give a weather file"),
    ],
)
def test_what_is_wrong_with_an_input_file_is_said(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(weather.WeatherError, match=re.escape(message) + "$"):
        input_file(path, "weather file")
    with pytest.raises(OwnError, match="scenario file"):
        input_file(path, "scenario file", OwnError)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_said(tmp_path):
    p = tmp_path / "w.epw"
    p.write_text("x")
    p.chmod(0)
    with pytest.raises(weather.WeatherError, match="cannot read the weather file"):
        input_file(p, "weather file")


def test_directories_of_a_search_path(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "f").write_text("x")
    assert input_dir(tmp_path / "a", "site directory") == tmp_path / "a"
    assert input_dirs(f"{tmp_path / 'a'}{os.pathsep}{os.pathsep} ", "site directory") == [tmp_path / "a"]
    with pytest.raises(OwnError, match=r"f: is a file, not a site directory$"):
        input_dirs(f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'f'}", "site directory", OwnError)
    with pytest.raises(OwnError, match=r"nope: no such site directory$"):
        input_dir(tmp_path / "nope", "site directory", OwnError)


@pytest.mark.parametrize("reader", ["read_epw", "read_tmy3", "read_csv", "read_pvgis_tmy"])
def test_an_empty_weather_file_is_said_to_be_empty(tmp_path, reader):
    """A weather file of 0 bytes is named empty, by every reader, not by what its first line lacks;
    ``input_file`` accepts an empty file unless told not to."""
    f = tmp_path / "w.epw"
    f.write_bytes(b"")
    assert input_file(f, "scenario file") == f
    with pytest.raises(weather.WeatherError, match=re.escape(f"{f}: the weather file is empty (0 bytes)")):
        getattr(weather, reader)(f)


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no procfs here")
def test_a_file_that_reports_0_bytes_and_holds_text_is_not_called_empty():
    """procfs files report a size of 0 and hold text: read, not refused as "empty (0 bytes)"."""
    assert Path("/proc/version").stat().st_size == 0
    assert input_file("/proc/version", "weather file", empty=False) == Path("/proc/version")


def _gbk_station(tmp_path: Path) -> Path:
    """The real Xifengzhen EPW with its station named 西峰镇 in GBK, as Chinese sources write it."""
    raw = epw_path("qingyang").read_bytes()
    first, rest = raw.split(b"\n", 1)
    assert b",Xifengzhen," in first
    p = tmp_path / "w.epw"
    p.write_bytes(first.replace(b",Xifengzhen,", ",西峰镇,".encode("gbk")) + b"\n" + rest)
    return p


def test_a_station_named_in_gbk_is_read_as_its_chinese_name(tmp_path):
    """A GBK name was decoded as Latin-1: 'Î÷·åÕò' for 西峰镇."""
    ds, meta = weather.read(_gbk_station(tmp_path))
    assert ds.attrs["name"] == meta["name"] == "西峰镇"


def test_the_header_readers_read_the_gbk_name_as_the_reader_does(tmp_path):
    """The format sniffer (first 4096 bytes) and the design conditions (line 2) read the file too."""
    from weather.readers import head_lines
    from weather.validation import published_design_conditions

    p = _gbk_station(tmp_path)
    assert head_lines(p)[0].split(",")[1] == "西峰镇"
    assert published_design_conditions(p) == published_design_conditions(epw_path("qingyang"))


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("LOCATION,西峰镇,甘肃,CHN", "gb18030"),
        ("LOCATION,西峰镇,甘肃,CHN", "utf-8"),
        ("\ufeffLOCATION,西峰镇,甘肃,CHN", "utf-8"),
        ("LOCATION,Zürich,ZH,CHE", "latin-1"),
        ("LOCATION,Conceição do Araguaia,PA,BRA", "latin-1"),  # 'çã' is a GB18030 pair inside a word
        ("LOCATION,São Paulo,SP,BRA", "latin-1"),
        ("LOCATION,Xifeng,Gansu,CHN", "ascii"),
    ],
)
def test_station_text_decodes_each_encoding_a_station_writes(text, encoding):
    assert station_text(text.encode(encoding)) == text.removeprefix("\ufeff")


def _renamed_station(tmp_path: Path, name: bytes, comment: bytes = b"") -> Path:
    """The real Xifengzhen EPW with its station's name (and optionally COMMENTS 1) replaced by raw bytes."""
    lines = epw_path("qingyang").read_bytes().split(b"\n")
    assert b",Xifengzhen," in lines[0] and lines[5].startswith(b"COMMENTS 1,")
    lines[0] = lines[0].replace(b",Xifengzhen,", b"," + name + b",")
    if comment:
        lines[5] = b"COMMENTS 1," + comment
    p = tmp_path / "w.epw"
    p.write_bytes(b"\n".join(lines))
    return p


@pytest.mark.parametrize(
    "text",
    [
        "LOCATION,ÓÐINSVÉ,XX,ISL",  # 'ÓÐ' decodes to a Chinese character, 'É' then raised UnicodeDecodeError
        "LOCATION,Þórisvatn,XX,ISL",  # was read as '摅risvatn'
        "LOCATION,ÞÓRISVATN,XX,ISL",
        "LOCATION,Xifeng,Gansu,CHN\nCOMMENTS 1,Tdb 30°C",
    ],
)
def test_latin1_text_with_accents_at_a_word_edge_stays_latin1(text):
    assert station_text(text.encode("latin-1")) == text


def test_a_chinese_name_and_a_latin1_comment_never_merge_a_byte_into_a_character():
    """A GBK name, then 'Tdb 30°C' in Latin-1, read as '30癈' (the ° and the C as one character)."""
    raw = "LOCATION,西峰镇,甘肃,CHN\nCOMMENTS 1,".encode("gbk") + "Tdb 30°C".encode("latin-1")
    assert "癈" not in station_text(raw)
    assert station_lines(raw) == ["LOCATION,西峰镇,甘肃,CHN", "COMMENTS 1,Tdb 30°C"]


@pytest.mark.parametrize(("name", "encoding"), [("ÓÐINSVÉ", "latin-1"), ("Þórisvatn", "latin-1"), ("西峰镇", "gbk")])
def test_an_epw_station_name_is_read_whatever_its_comments(tmp_path, name, encoding):
    """'ÓÐINSVÉ' in Latin-1 stopped ``twin weather`` and the dashboard upload with an internal
    UnicodeDecodeError; a Latin-1 '°C' comment beside a GBK name is read too."""
    p = _renamed_station(tmp_path, name.encode(encoding), "Tdb 30°C".encode("latin-1"))
    ds, meta = weather.read(p)
    assert ds.attrs["name"] == meta["name"] == name


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_an_epw_saved_as_utf16_is_read_as_its_utf8_self(tmp_path, encoding):
    """Notepad's "Unicode" (UTF-16 with a byte-order mark) was refused as "line 1 must start with
    LOCATION; this is not an EPW file"; the format sniffer reads it too (a name without .epw)."""
    from weather.readers import head_lines

    text = _renamed_station(tmp_path, "西峰镇".encode()).read_text(encoding="utf-8")
    p = tmp_path / "w16.wx"
    p.write_bytes(("\ufeff" + text).encode(encoding))
    ds, meta = weather.read(p, format="epw")
    ref, ref_meta = weather.read(_renamed_station(tmp_path, "西峰镇".encode()))
    assert meta["name"] == ref_meta["name"] == "西峰镇"
    assert all(np.array_equal(ds[v].values, ref[v].values, equal_nan=True) for v in ref.data_vars)
    assert head_lines(p)[0].startswith("LOCATION,西峰镇,")


def test_a_utf16_epw_s_header_is_read_as_its_reader_reads_it(tmp_path):
    """``twin weather-validate`` read the WMO number and the design conditions as Latin-1
    (``skip …: no site with WMO  5 3 9 2 3 0``, NULs between the digits)."""
    from twin.cli import _epw_wmo
    from weather.validation import published_design_conditions

    p = tmp_path / "w16.epw"
    p.write_bytes(("\ufeff" + epw_path("qingyang").read_text(encoding="latin-1")).encode("utf-16-le"))
    assert _epw_wmo(p) == _epw_wmo(epw_path("qingyang")) == "539230"
    assert published_design_conditions(p) == published_design_conditions(epw_path("qingyang")) != {}


def test_an_epw_location_line_cut_short_says_so(tmp_path):
    """``LOCATION,Xifengzhen,Gansu`` said ``latitude = None is not a number``."""
    p = _renamed_station(tmp_path, b"Xifengzhen")
    lines = p.read_bytes().split(b"\n")
    lines[0] = b"LOCATION,Xifengzhen,Gansu"
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(weather.WeatherError, match=r"w\.epw: line 1 has 3 fields, an EPW's LOCATION line 10 \(LOC"):
        weather.read(p)


def test_the_format_sniffer_reads_the_name_as_the_reader_does(tmp_path):
    """The sniffer decoded the first 4096 bytes: a cut inside a GBK character made it fall back
    to Latin-1 and read another name than the reader."""
    from weather.readers import head_lines

    name = "X" * (4096 - len("LOCATION,") - 1) + "西峰镇"  # the cut falls inside 西
    p = _renamed_station(tmp_path, name.encode("gbk"))
    assert head_lines(p)[0] == station_lines(p.read_bytes())[0]
    assert head_lines(p)[0].split(",")[1] == name


@given(st.binary(max_size=200))
def test_station_text_never_raises(raw):
    assert isinstance(station_text(raw), str)
    assert isinstance(station_lines(raw), list)


_LATIN1_LETTERS = st.sampled_from([chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)])
_ASCII_LETTERS = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = st.tuples(
    st.text(_ASCII_LETTERS, min_size=1, max_size=4),
    st.text(_LATIN1_LETTERS, min_size=1, max_size=4),
    st.text(_ASCII_LETTERS, min_size=1, max_size=4),
).map("".join)


@given(st.lists(_WORD, min_size=1, max_size=5), st.sampled_from([" ", ",", "-"]))
def test_latin1_letters_inside_ascii_words_stay_latin1(words, sep):
    text = "LOCATION," + sep.join(words)
    assert station_text(text.encode("latin-1")) == text


_GB2312_HAN = st.sampled_from(
    [
        bytes([a, b]).decode("gb2312")
        for a in range(0xB0, 0xF8)
        for b in range(0xA1, 0xFF)
        if not (a == 0xD7 and b >= 0xFA)
    ]
)
"""The 6,763 Chinese characters of GB2312 (levels 1 and 2; D7FA-D7FE are unassigned)."""


@given(st.text(_GB2312_HAN, min_size=1, max_size=6), st.sampled_from([",", " ", "-", "("]))
def test_a_gbk_name_standing_alone_is_read_as_chinese_even_of_one_character(name, sep):
    """A one-character name (``京``) read as Latin-1 (``¾©``): a run of Chinese characters with
    no ASCII letter beside it is read whatever its length, unless its bytes are UTF-8 too."""
    text = f"LOCATION{sep}{name}{sep}BJ,CHN"
    assume(not _utf8(text.encode("gbk")))
    assert station_text(text.encode("gbk")) == text


@given(
    st.text(_ASCII_LETTERS, min_size=1, max_size=6),
    st.text(_GB2312_HAN, min_size=GLUED_HAN, max_size=8),
    st.text(_ASCII_LETTERS, min_size=1, max_size=6),
)
def test_a_gbk_name_glued_to_ascii_letters_is_read_as_chinese(left, name, right):
    """``Xifeng西峰镇Station`` read as Latin-1 (``XifengÎ÷·åÕòStation``)."""
    text = f"LOCATION,{left}{name}{right},GS,CHN"
    assume(not _utf8(text.encode("gbk")))
    assert station_text(text.encode("gbk")) == text


def _utf8(raw: bytes) -> bool:
    """Whether ``raw`` is UTF-8 too (``一`` in GBK, D2 BB, is UTF-8's ``һ``): read as UTF-8 first."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_one_character_gbk_name_that_is_utf8_too_reads_as_utf8():
    """The limit of :func:`station_text`'s order: UTF-8 first, so of the one-character names
    about one in seven (lead byte C2-DF, second A1-BF) reads as a UTF-8 letter."""
    assert station_text("LOCATION,一,BJ".encode("gbk")) == "LOCATION,һ,BJ"


@pytest.mark.parametrize("name", ["京", "Xifeng西峰镇Station", "Station 京"])
def test_an_epw_named_so_is_read_with_its_chinese_name(tmp_path, name):
    ds, meta = weather.read(_renamed_station(tmp_path, name.encode("gbk"), "Tdb 30°C".encode("latin-1")))
    assert ds.attrs["name"] == meta["name"] == name
