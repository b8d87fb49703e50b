"""The project's gazetteer: every county-, prefecture- and province-level unit
of the Tibet Autonomous Region and Qinghai, with the names posts use for them.

Loaded from pipelines/data/gazetteer.csv, which scripts/build_gazetteer.py
builds from the 2020 census table and the curated names in
scripts/gazetteer_aliases.csv (see the file's header for the source note).
Off-the-shelf recognisers are not used: their data is stale (色尼区 missing,
玉树州称多县 read as 玉树市) and they read 海南 as Hainan province.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from dataclasses import dataclass

GAZETTEER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "gazetteer.csv")

# How a name refers to its unit; the order is also the precedence when two
# kinds of name are the same string (the build allows that only for a unit's
# official name that is also its context name: 城关区 needs context).
NAME_KINDS = ("official", "alias", "former", "township", "context")


@dataclass(frozen=True)
class Place:
    code: str                     # 6-digit administrative code, e.g. "540329"
    name: str                     # official name as of the gazetteer (2020 census), e.g. "洛隆县"
    level: str                    # "province" | "prefecture" | "county"
    prefecture_code: str | None   # counties: their prefecture's code; prefectures: their own
    prefecture: str | None        # the prefecture's official name
    province: str                 # "西藏自治区" | "青海省"
    population: int | None        # 2020 census resident population

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    def within(self, other: Place) -> bool:
        """True when this unit is `other` or lies inside it."""
        if other.level == "province":
            return self.province_code == other.code
        if other.level == "prefecture":
            return self.prefecture_code == other.code
        return self.code == other.code


class GazetteerError(Exception):
    pass


class Gazetteer:
    def __init__(self, rows: list[dict], source: str = GAZETTEER_PATH):
        self._places: dict[str, Place] = {}
        self._names: dict[str, tuple[Place, str]] = {}
        self._notes: dict[str, str] = {}
        for row in rows:
            try:
                pop = row.get("population_2020") or ""
                place = Place(
                    code=row["code"], name=row["name"], level=row["level"],
                    prefecture_code=row["prefecture_code"] or None, prefecture=row["prefecture"] or None,
                    province=row["province"], population=int(pop) if pop else None,
                )
            except (KeyError, ValueError) as exc:
                raise GazetteerError(f"{source}: bad row {row!r}: {exc}") from exc
            self._places[place.code] = place
            self._notes[place.code] = row.get("notes") or ""
            self._add_name(place.name, place, "official")
            for kind, column in (("alias", "aliases"), ("former", "former_names"),
                                 ("township", "townships"), ("context", "context_names")):
                for name in filter(None, (row.get(column) or "").split("|")):
                    self._add_name(name, place, kind)

    def _add_name(self, name: str, place: Place, kind: str) -> None:
        known = self._names.get(name)
        # A unit's own name listed as a context name (城关区) is restricted by it.
        restricts = kind == "context" and known is not None and known[0] == place
        if known is None or restricts or NAME_KINDS.index(kind) < NAME_KINDS.index(known[1]):
            self._names[name] = (place, kind)

    # -- the interface --------------------------------------------------------

    def by_code(self, code: str | None) -> Place | None:
        return self._places.get(code) if code else None

    def counties_of(self, prefecture_code: str) -> list[Place]:
        return [p for p in self._places.values() if p.level == "county" and p.prefecture_code == prefecture_code]

    def prefectures_of(self, province_code: str) -> list[Place]:
        return [p for p in self._places.values() if p.level == "prefecture" and p.province_code == province_code]

    def places(self) -> list[Place]:
        return list(self._places.values())

    def parent(self, place: Place) -> Place | None:
        """The unit one level up (county -> prefecture -> province)."""
        if place.level == "county":
            return self._places.get(place.prefecture_code)
        if place.level == "prefecture":
            return self._places.get(place.province_code)
        return None

    def names(self) -> dict[str, tuple[Place, str]]:
        """{name as written: (place, kind)}, kind one of NAME_KINDS."""
        return dict(self._names)

    def lookup(self, name: str) -> tuple[Place, str] | None:
        return self._names.get(name)

    def notes(self, code: str) -> str:
        return self._notes.get(code, "")


def load(path: str = GAZETTEER_PATH) -> Gazetteer:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if not line.startswith("#")]
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read the gazetteer: {exc.strerror}") from exc
    return Gazetteer(list(csv.DictReader(io.StringIO("".join(lines)))), source=path)


@functools.lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once."""
    return load()
