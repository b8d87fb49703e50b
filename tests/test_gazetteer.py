"""The project gazetteer: its facts match the census, its names are unambiguous."""

import csv
import os
import subprocess
import sys

import pytest

from mocksite.content import ALL_POSTS
from pipelines.gazetteer import GAZETTEER_PATH, gazetteer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CENSUS = os.environ.get("BIOARCHIVE_CENSUS",
                        os.path.join(os.path.dirname(ROOT), "shared", "data", "census2020_tar_qinghai.csv"))
BUILD = os.path.join(ROOT, "scripts", "build_gazetteer.py")
needs_census = pytest.mark.skipif(not os.path.exists(CENSUS), reason=f"census table not at {CENSUS}")


@needs_census
def test_every_code_name_and_population_is_the_census():
    with open(CENSUS, encoding="utf-8") as f:
        census = {r["admin_code"]: r for r in csv.DictReader(f) if r["admin_code"]}
    g = gazetteer()
    assert {p.code for p in g.places()} == set(census)
    for p in g.places():
        row = census[p.code]
        assert p.name == row["county"]
        assert p.province == row["province"]
        assert p.population == int(row["population_2020"])
        if p.level != "province":
            assert p.prefecture == row["prefecture"]
            assert census[p.prefecture_code]["county"] == p.prefecture


@needs_census
def test_shipped_file_is_the_builds_output(tmp_path):
    out = tmp_path / "gazetteer.csv"
    done = subprocess.run([sys.executable, BUILD, "--census", CENSUS, "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(GAZETTEER_PATH, encoding="utf-8") as f:
        assert out.read_text(encoding="utf-8") == f.read()


@needs_census
def test_build_refuses_a_name_for_two_places(tmp_path):
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("place,kind,value,note\n洛隆县,alias,边坝,\n", encoding="utf-8")
    done = subprocess.run([sys.executable, BUILD, "--census", CENSUS, "--aliases", str(aliases),
                           "-o", str(tmp_path / "g.csv")], capture_output=True, text=True)
    assert done.returncode == 1
    assert "边坝" in done.stderr and "洛隆县" in done.stderr and "边坝县" in done.stderr
    assert not (tmp_path / "g.csv").exists()


def test_build_names_a_missing_census_file(tmp_path):
    done = subprocess.run([sys.executable, BUILD, "--census", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "g.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "nope.csv" in done.stderr and "Traceback" not in done.stderr


def test_source_note_and_columns():
    with open(GAZETTEER_PATH, encoding="utf-8") as f:
        text = f.read()
    assert "Seventh National Population Census" in text and "Lei Dong" in text and "MIT" in text
    header = next(line for line in text.splitlines() if not line.startswith("#"))
    assert header.split(",") == ["code", "name", "level", "prefecture_code", "prefecture", "province",
                                 "population_2020", "aliases", "former_names", "townships",
                                 "context_names", "notes"]


def test_interface():
    g = gazetteer()
    assert gazetteer() is g
    luolong = g.by_code("540329")
    assert (luolong.name, luolong.level, luolong.prefecture_code, luolong.prefecture, luolong.province,
            luolong.population) == ("洛隆县", "county", "540300", "昌都市", "西藏自治区", 53185)
    assert g.by_code("999999") is None and g.by_code(None) is None
    chamdo = g.counties_of("540300")
    assert len(chamdo) == 11 and all(p.prefecture == "昌都市" for p in chamdo)
    assert len([p for p in g.places() if p.level == "prefecture"]) == 15
    assert g.by_code("540000").level == "province" and g.by_code("540000").prefecture_code is None
    assert g.by_code("632700").prefecture_code == "632700"


@pytest.mark.parametrize("name, code, kind", [
    ("洛隆", "540329", "alias"), ("玉树州", "632700", "alias"), ("玉树", "632700", "alias"),
    ("海南州", "632500", "alias"), ("海西州", "632800", "alias"), ("阿里", "542500", "alias"),
    ("那曲县", "540602", "former"), ("昌都县", "540302", "former"), ("林芝县", "540402", "former"),
    ("堆龙德庆县", "540103", "former"), ("达孜县", "540104", "former"), ("湟中县", "630106", "former"),
    ("同仁市", "632301", "alias"), ("格尔木", "632801", "alias"), ("那曲地区", "540600", "former"),
    ("格达乡", "540122", "township"), ("城关区", "540102", "context"), ("城中分局", "630103", "context"),
])
def test_names(name, code, kind):
    place, found_kind = gazetteer().lookup(name)
    assert (place.code, found_kind) == (code, kind)


@pytest.mark.parametrize("word", ["海南", "河南", "比如", "尼玛", "平安", "城关", "共和", "互助", "同仁", "日喀则市区"])
def test_words_that_are_not_names(word):
    assert gazetteer().lookup(word) is None


def test_mock_townships_are_in_their_county():
    for post in ALL_POSTS:
        township = post.truth.get("township")
        if township:
            place, kind = gazetteer().lookup(township)
            assert kind == "township"
            assert place.code == gazetteer().lookup(post.truth["place"])[0].code
