#!/usr/bin/env python3
"""Build the project's gazetteer (pipelines/data/gazetteer.csv) from the census.

    .venv/bin/python scripts/build_gazetteer.py [--census PATH] [--aliases PATH] [-o PATH]

Input: the 2020 census table of every county-level unit of the Tibet
Autonomous Region and Qinghai (admin_code, province, prefecture, county,
population_2020, ...; by default ../shared/data/census2020_tar_qinghai.csv)
and the curated names in scripts/gazetteer_aliases.csv. Output: one row per
unit with an administrative code, in the gazetteer's own columns.

Short forms are derived by rule (洛隆县 -> 洛隆, 玉树藏族自治州 -> 玉树州 and
玉树, 大通回族土族自治县 -> 大通县, 阿里地区 -> 阿里); the curated file adds
old names, newer names, townships (and, derived from them, their police
stations: 扎雪乡 -> 扎雪派出所) and names that need context, and vetoes
short forms that are ordinary words. Every name must point at one unit: a
clash stops the build with both units named, so a new alias cannot silently
take a name from another place.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CENSUS = os.path.join(os.path.dirname(ROOT), "shared", "data", "census2020_tar_qinghai.csv")
DEFAULT_ALIASES = os.path.join(ROOT, "scripts", "gazetteer_aliases.csv")
DEFAULT_OUT = os.path.join(ROOT, "pipelines", "data", "gazetteer.csv")

COLUMNS = [
    "code", "name", "level", "prefecture_code", "prefecture", "province", "population_2020",
    "aliases", "former_names", "townships", "context_names", "notes",
]
KINDS = ("alias", "former", "township", "context", "no_short", "note")

HEADER = """\
# bioarchive gazetteer: county-, prefecture- and province-level units of the
# Tibet Autonomous Region (西藏自治区) and Qinghai Province (青海省).
# Built by scripts/build_gazetteer.py; edit scripts/gazetteer_aliases.csv and rebuild,
# never this file by hand.
# Codes, official names and population_2020 (resident population) are from the
# Seventh National Population Census (2020) bulletins, as digitised in the
# "China Census" dataset by Lei Dong et al. (MIT licence). Names are as of 2020.
# aliases / former_names / townships / context_names: |-separated, curated for this
# project (short forms derived by rule). A township mention means its county;
# a context name means this unit only when the publisher or text is in the same province.
"""


class BuildError(Exception):
    pass


def read_commented_csv(path: str) -> list[dict]:
    """A CSV whose lines starting with '#' are comments."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if not line.startswith("#") and line.strip()]
    except OSError as exc:
        raise BuildError(f"{path}: cannot read: {exc.strerror}") from exc
    return list(csv.DictReader(io.StringIO("".join(lines))))


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def derived_short_names(name: str, level: str) -> list[str]:
    """Short forms of an official name, longest first (no single characters)."""
    if level == "province":
        m = re.fullmatch(r"(.{2,}?)(?:自治区|省)", name)
        return [m.group(1)] if m else []
    m = re.fullmatch(r"(.{2,}?)(?:蒙古族|藏族|回族|土族|撒拉族)+自治(州|县)", name)
    if m:  # 玉树藏族自治州 -> 玉树州, 玉树; 大通回族土族自治县 -> 大通县, 大通
        return [m.group(1) + m.group(2), m.group(1)]
    m = re.fullmatch(r"(.{2,})地区", name)
    if m:
        return [m.group(1)]
    m = re.fullmatch(r"(.{2,})[县区市]", name)
    if m and not name.endswith(("开发区", "园区")):
        return [m.group(1)]
    return []


_NUMERAL_STEM = re.compile(r"[一二三四五六七八九十百千万零两]+")


def derived_police_stations(units: dict[str, dict]) -> list[tuple[str, str]]:
    """(code, name) pairs: the police station of each curated township, named after it
    (扎雪乡 -> 扎雪派出所, 结古街道 -> 结古派出所), posts' usual way of naming one. Stems
    under two characters, numeral stems (八一) and stems shared by two counties are left out."""
    seen: dict[str, set[str]] = {}
    for code, unit in units.items():
        for township in unit["townships"]:
            stem = re.sub(r"(?:乡|镇|街道)$", "", township)
            if len(stem) >= 2 and not _NUMERAL_STEM.fullmatch(stem):
                seen.setdefault(stem + "派出所", set()).add(code)
    out: list[tuple[str, str]] = []
    for name, codes in seen.items():
        if len(codes) == 1:
            out.append((codes.pop(), name))
    return out


def build(census_path: str, aliases_path: str) -> tuple[list[dict], list[str]]:
    """Gazetteer rows and a list of notes for the operator (skipped census rows)."""
    census = read_commented_csv(census_path)
    need = {"admin_code", "province", "prefecture", "county", "population_2020"}
    if not census or not need <= set(census[0]):
        raise BuildError(f"{census_path}: not the census table (needs columns {', '.join(sorted(need))})")
    skipped: list[str] = []
    units: dict[str, dict] = {}
    by_name: dict[str, str] = {}
    for n, row in enumerate(census, start=2):
        code = (row["admin_code"] or "").strip()
        if not code:
            skipped.append(f"{census_path}: row {n}: {row['county']} has no admin code, left out")
            continue
        if not re.fullmatch(r"\d{6}", code):
            raise BuildError(f"{census_path}: row {n}: bad admin code {code!r}")
        level = level_of(code)
        prefecture_code = code[:4] + "00" if level != "province" else None
        units[code] = {
            "code": code,
            "name": row["county"].strip(),
            "level": level,
            "prefecture_code": prefecture_code,
            "prefecture": row["prefecture"].strip() if level != "province" else None,
            "province": row["province"].strip(),
            "population_2020": int(row["population_2020"]),
            "aliases": [], "former_names": [], "townships": [], "context_names": [], "notes": [],
        }
        by_name[units[code]["name"]] = code
    for unit in units.values():
        if unit["prefecture_code"] and unit["prefecture_code"] not in units:
            raise BuildError(f"{census_path}: {unit['name']} ({unit['code']}): no row for its prefecture")

    vetoed: dict[str, set[str]] = {}
    curated = read_commented_csv(aliases_path)
    for n, row in enumerate(curated, start=2):
        place, kind, value = (row.get("place") or "").strip(), (row.get("kind") or "").strip(), (row.get("value") or "").strip()
        if place not in by_name:
            raise BuildError(f"{aliases_path}: {place!r} is not a census unit name")
        if kind not in KINDS or not value:
            raise BuildError(f"{aliases_path}: {place}: bad kind {kind!r} or empty value")
        if kind == "township" and not value.endswith(("乡", "镇", "街道")):
            raise BuildError(f"{aliases_path}: {value!r} does not look like a township (乡/镇/街道)")
        unit = units[by_name[place]]
        if kind == "township" and unit["level"] != "county":
            raise BuildError(f"{aliases_path}: township {value} must belong to a county, not {place}")
        note = (row.get("note") or "").strip()
        if kind == "note":
            pass  # a name deliberately not matched, with the reason
        elif kind == "no_short":
            vetoed.setdefault(unit["code"], set()).add(value)
        else:
            key = {"alias": "aliases", "former": "former_names", "township": "townships", "context": "context_names"}[kind]
            if value not in unit[key]:
                unit[key].append(value)
        if note and kind != "township":
            unit["notes"].append(f"{value}: {note}")
        elif note:
            unit["notes"].append(f"{value} ({note})")

    for code, name in derived_police_stations(units):
        units[code]["townships"].append(name)

    for code, unit in units.items():
        for short in derived_short_names(unit["name"], unit["level"]):
            if short in vetoed.get(code, ()) or short in unit["aliases"]:
                continue
            unit["aliases"].append(short)

    # One unit per name: official names, aliases, former names, townships.
    # A unit's context name may repeat its own official name (城关区).
    owner: dict[str, str] = {}
    for code, unit in units.items():
        names = [unit["name"], *unit["aliases"], *unit["former_names"], *unit["townships"],
                 *(c for c in unit["context_names"] if c != unit["name"])]
        for name in names:
            other = owner.setdefault(name, code)
            if other != code:
                raise BuildError(
                    f"name {name!r} would mean both {units[other]['name']} ({other}) and {unit['name']} ({code}): "
                    f"veto or drop it in {aliases_path}")
    rows = []
    for code in sorted(units):
        u = units[code]
        rows.append({
            **{k: u[k] for k in ("code", "name", "level", "province", "population_2020")},
            "prefecture_code": u["prefecture_code"] or "",
            "prefecture": u["prefecture"] or "",
            "aliases": "|".join(u["aliases"]),
            "former_names": "|".join(u["former_names"]),
            "townships": "|".join(u["townships"]),
            "context_names": "|".join(u["context_names"]),
            "notes": "; ".join(u["notes"]),
        })
    return rows, skipped


def write(rows: list[dict], out: str) -> None:
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--census", default=DEFAULT_CENSUS)
    ap.add_argument("--aliases", default=DEFAULT_ALIASES)
    ap.add_argument("-o", "--output", default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    try:
        rows, skipped = build(args.census, args.aliases)
    except BuildError as exc:
        print(f"build_gazetteer: {exc}", file=sys.stderr)
        return 1
    for line in skipped:
        print(line, file=sys.stderr)
    write(rows, args.output)
    levels = {lvl: sum(r["level"] == lvl for r in rows) for lvl in ("province", "prefecture", "county")}
    print(f"{args.output}: {len(rows)} units ({levels['province']} provinces, {levels['prefecture']} prefectures, "
          f"{levels['county']} county-level), "
          f"{sum(len(r['townships'].split('|')) for r in rows if r['townships'])} townships")
    return 0


if __name__ == "__main__":
    sys.exit(main())
