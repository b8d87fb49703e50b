"""How many people each place's police say they sampled, as of when: a lower bound.

``estimate(rows, gazetteer)`` takes evidence rows (pipelines.store.EVIDENCE_COLUMNS,
as ``EvidenceStore.rows()`` returns them) and gives one row per place and
biometric. The rule, in order:

1. Statements used: measure "count", not part of another figure (subset_of
   empty: a 其中 part is never added), a place_code the gazetteer knows, a
   biometric. Rates (采集率95%) are never summed: ``rates()`` lists them;
   figures with no place are left out (``unplaced()`` lists them).
2. Duplicates: the same sentence with the same figure (same quote, biometric,
   value_min, value_max) is one statement, however many captures, extractor
   versions or reposts (other URLs) carry it. Its earliest capture is its
   source; the other captures are listed with it.
3. A statement is a range [lo, hi] = [value_min, value_max] as the figure
   reads: 17194份 is [17194, 17194]; 1.7万余份, 3000多份, 逾万份 are open-ended
   (hi None); 2-3万份 is [20000, 30000]; vague 数千份 is [1000, 9999]; 近两万份
   has no lo (at most 20000). Its date (as_of) is its period's end, else the
   publication date, else the capture date.
4. Candidates for a place and biometric. Collection only adds up, so each of
   these is a lower bound of what had been collected by its date:
     a. a cumulative figure (累计, 截至…), plus the best sum of non-cumulative
        counts whose periods start after its date ("cumulative", or
        "cumulative + later counts");
     b. the best sum of non-cumulative counts over non-overlapping periods
        ("count" for one, "sum of counts" for several); a count whose period
        has no known start may overlap anything, so it stands alone.
   "Best sum" is the set of pairwise non-overlapping periods with the largest
   total lo (weighted interval scheduling). The row takes the candidate with
   the largest lo (ties: the later date): total_min = its lo, total_max = its
   hi, None when any part is open-ended (the total is then "at least"). A
   candidate without a lo (近两万 alone) is used only when nothing else is,
   with total_min None.
5. Prefectures, then provinces: also the sum of their counties' (prefectures')
   rows, used when larger than any figure for the unit itself ("sum of
   counties" / "sum of prefectures", with how many of them reported).
6. share = total / 2020 census resident population (share_max None when
   total_max is). Flags: person-visits (人次 can count one person twice),
   vague, approximate, open-ended, at-most, several-biometrics (one figure
   for several kinds, e.g. 虹膜、指纹、人像), exceeds-population (records, not
   people, or a figure for more than the residents).

These are what the police reported, not what they collected: unreported
collection is not counted, so every total is a floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.gazetteer import Gazetteer, Place

RULES = ("cumulative", "cumulative + later counts", "count", "sum of counts", "at most",
         "sum of counties", "sum of prefectures")
SOURCE_FIELDS = ("url", "captured_at", "warc_filename", "warc_offset", "warc_record_id", "quote",
                 "value_min", "value_max")


@dataclass
class _Statement:
    row: dict                       # the earliest capture's row
    place: Place
    biometric: str
    lo: float | None
    hi: float | None
    cumulative: bool
    start: str | None
    as_of: str | None
    others: list = field(default_factory=list)   # later captures of the same statement

    @property
    def open_ended(self) -> bool:
        return self.hi is None


@dataclass
class _Candidate:
    rule: str
    parts: list                     # _Statement (or, for roll-ups, estimate rows)
    lo: float | None
    hi: float | None
    as_of: str | None


# -- reading rows ---------------------------------------------------------------------

def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _num(value) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def biometric_key(row: dict) -> str | None:
    """dna / iris / ... ; a figure for several kinds at once keeps them together: iris+fingerprint+face."""
    biometric = (row.get("biometric") or "").strip().lower()
    if biometric == "multiple":
        kinds = row.get("biometrics") or []
        if isinstance(kinds, str):
            kinds = [k for k in kinds.replace(",", "+").split("+") if k]
        return "+".join(k.lower() for k in kinds) or "multiple"
    return biometric or None


def _as_of(row: dict) -> str | None:
    return _date(row.get("period_end")) or _date(row.get("published_at")) or _date(row.get("captured_at"))


def _statements(rows, g: Gazetteer, measure: str = "count") -> list[_Statement]:
    """The distinct top-level statements of this measure with a known place (rule 1 and 2)."""
    seen: dict[tuple, _Statement] = {}
    for row in sorted(rows, key=lambda r: r.get("captured_at") or ""):   # stable: ties keep their order
        if (row.get("measure") or "count") != measure or row.get("subset_of") not in (None, ""):
            continue
        place = g.by_code(row.get("place_code"))
        biometric = biometric_key(row)
        if place is None or biometric is None:
            continue
        lo, hi = _num(row.get("value_min")), _num(row.get("value_max"))
        key = ((row.get("quote") or "").strip(), biometric, lo, hi)
        if key in seen:
            seen[key].others.append(row)
            continue
        seen[key] = _Statement(row=row, place=place, biometric=biometric, lo=lo, hi=hi,
                               cumulative=_truthy(row.get("cumulative")),
                               start=_date(row.get("period_start")), as_of=_as_of(row))
    return list(seen.values())


# -- choosing the figure --------------------------------------------------------------

def _best_sum(counts: list[_Statement]) -> list[_Statement]:
    """The pairwise non-overlapping periods with the largest total lo (weighted interval scheduling)."""
    items = sorted((s for s in counts if s.start and s.as_of and s.lo is not None and s.start <= s.as_of),
                   key=lambda s: (s.as_of, s.start))
    best: list[tuple[float, list]] = [(0.0, [])]   # best[i]: over the first i items
    for i, s in enumerate(items):
        # the last earlier item that ends before s starts
        j = i
        while j > 0 and not items[j - 1].as_of < s.start:
            j -= 1
        with_s = (best[j][0] + s.lo, best[j][1] + [s])
        best.append(max(best[i], with_s, key=lambda b: b[0]))
    return best[-1][1]


def _sum(parts: list[_Statement]) -> tuple[float | None, float | None]:
    lo = sum(p.lo for p in parts) if all(p.lo is not None for p in parts) else None
    hi = sum(p.hi for p in parts) if all(p.hi is not None for p in parts) else None
    return lo, hi


def _candidates(statements: list[_Statement]) -> list[_Candidate]:
    counts = [s for s in statements if not s.cumulative]
    out = []
    for a in (s for s in statements if s.cumulative):
        later = _best_sum([c for c in counts if c.start and a.as_of and c.start > a.as_of])
        lo, hi = _sum([a, *later])
        out.append(_Candidate("cumulative + later counts" if later else "cumulative", [a, *later], lo, hi,
                              max([p.as_of for p in [a, *later] if p.as_of], default=None)))
    summed = _best_sum(counts)
    if len(summed) > 1:
        lo, hi = _sum(summed)
        out.append(_Candidate("sum of counts", summed, lo, hi, max(p.as_of for p in summed)))
    for c in counts:
        out.append(_Candidate("count" if c.lo is not None else "at most", [c], c.lo, c.hi, c.as_of))
    return out


def _rank(c: _Candidate) -> tuple:
    return (c.lo is not None, c.lo if c.lo is not None else (c.hi or 0), c.as_of or "", c.hi or 0)


def _source(s: _Statement) -> dict:
    row = s.row
    src = {k: row.get(k) for k in SOURCE_FIELDS}
    src.update(value_min=_int(s.lo), value_max=_int(s.hi), figure=row.get("figure"), unit=row.get("unit"),
               cumulative=s.cumulative, as_of=s.as_of, published_at=row.get("published_at"),
               title=row.get("title"), publisher=row.get("publisher"), statement_id=row.get("statement_id"),
               place_code=s.place.code, place_name=s.place.name,
               other_captures=[{k: o.get(k) for k in ("url", "captured_at", "warc_filename", "warc_offset",
                                                      "warc_record_id")} for o in s.others])
    return src


def _int(v: float | None):
    return int(v) if v is not None and float(v).is_integer() else v


def _flags(statements: list[_Statement], lo, hi, population, biometric) -> list[str]:
    flags = []
    if any((s.row.get("unit") or "") == "人次" for s in statements):
        flags.append("person-visits")
    if any(s.row.get("qualifier") == "vague" for s in statements):
        flags.append("vague")
    if any(_truthy(s.row.get("approximate")) for s in statements):
        flags.append("approximate")
    if lo is not None and hi is None:
        flags.append("open-ended")
    if lo is None:
        flags.append("at-most")
    if "+" in biometric or biometric == "multiple":
        flags.append("several-biometrics")
    if population and lo is not None and lo > population:
        flags.append("exceeds-population")
    return flags


def _row(place: Place, biometric: str, rule: str, lo, hi, as_of, statements: list[_Statement], notes: str = "") -> dict:
    pop = place.population
    return {
        "place_code": place.code, "place_name": place.name, "level": place.level,
        "prefecture_code": place.prefecture_code, "prefecture": place.prefecture, "province": place.province,
        "biometric": biometric, "population": pop,
        "total_min": _int(lo), "total_max": _int(hi),
        "share_min": lo / pop if pop and lo is not None else None,
        "share_max": hi / pop if pop and hi is not None else None,
        "as_of": as_of, "rule": rule, "flags": _flags(statements, lo, hi, pop, biometric), "notes": notes,
        "sources": [_source(s) for s in sorted(statements, key=lambda s: (s.as_of or "", s.place.code))],
        "_statements": statements,
    }


def _place_rows(statements: list[_Statement]) -> dict[tuple[str, str], dict]:
    groups: dict[tuple[str, str], list[_Statement]] = {}
    for s in statements:
        groups.setdefault((s.place.code, s.biometric), []).append(s)
    out = {}
    for (code, biometric), group in groups.items():
        best = max(_candidates(group), key=_rank)
        out[(code, biometric)] = _row(group[0].place, biometric, best.rule, best.lo, best.hi, best.as_of, best.parts)
    return out


def _roll_up(rows: dict, g: Gazetteer, level: str, children_of, rule: str, what: str) -> None:
    """Add or replace `level` rows by the sum of their children's rows when that is larger."""
    units = [p for p in g.places() if p.level == level]
    biometrics = {b for _, b in rows}
    for unit in units:
        kids = children_of(unit)
        for biometric in biometrics:
            parts = [rows[(k.code, biometric)] for k in kids
                     if (k.code, biometric) in rows and rows[(k.code, biometric)]["total_min"] is not None]
            if not parts:
                continue
            lo = sum(p["total_min"] for p in parts)
            hi = sum(p["total_max"] for p in parts) if all(p["total_max"] is not None for p in parts) else None
            own = rows.get((unit.code, biometric))
            note = f"{len(parts)} of {len(kids)} {what} reported"
            if own is not None and own["total_min"] is not None and own["total_min"] >= lo:
                own["notes"] = (own["notes"] + "; " if own["notes"] else "") + \
                    f"its {what} add up to {_int(lo):,} ({note})"
                continue
            statements = [s for p in parts for s in p["_statements"]]
            as_of = max((p["as_of"] for p in parts if p["as_of"]), default=None)
            row = _row(unit, biometric, rule, lo, hi, as_of, statements, notes=note)
            if own is not None:
                row["notes"] += f"; larger than its own figure ({own['total_min']:,} by {own['rule']})" \
                    if own["total_min"] is not None else "; its own figure is only an upper bound"
            rows[(unit.code, biometric)] = row


def _estimate(statements: list[_Statement], g: Gazetteer) -> list[dict]:
    rows = _place_rows(statements)
    _roll_up(rows, g, "prefecture", lambda p: g.counties_of(p.code), "sum of counties", "counties")
    _roll_up(rows, g, "province", lambda p: g.prefectures_of(p.code), "sum of prefectures", "prefectures")
    order = {"province": 0, "prefecture": 1, "county": 2}
    out = sorted(rows.values(), key=lambda r: (r["place_code"][:2], r["prefecture_code"] or "",
                                               order[r["level"]], r["place_code"], r["biometric"]))
    for r in out:
        del r["_statements"]
    return out


# -- the interface --------------------------------------------------------------------

def estimate(rows, gazetteer: Gazetteer) -> list[dict]:
    """One dict per place and biometric (see the module docstring for the rule):
    place_code, place_name, level, prefecture_code, prefecture, province, biometric,
    population, total_min, total_max, share_min, share_max, as_of, rule, flags, notes,
    sources (url, captured_at, warc_filename, warc_offset, warc_record_id, quote,
    value_min, value_max, figure, as_of, ... other_captures)."""
    return _estimate(_statements(rows, gazetteer), gazetteer)


def timeline(rows, gazetteer: Gazetteer, level: str = "prefecture") -> dict[tuple[str, str], list[tuple[str, float]]]:
    """{(place_code, biometric): [(date, total_min), ...]} for places of `level`: the
    estimate as it stood on each date a figure for that place (or its parts) is dated,
    counting only figures dated by then. Never decreases."""
    statements = [s for s in _statements(rows, gazetteer) if s.as_of]
    series: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for day in sorted({s.as_of for s in statements}):
        for r in _estimate([s for s in statements if s.as_of <= day], gazetteer):
            if r["level"] != level or r["total_min"] is None:
                continue
            points = series.setdefault((r["place_code"], r["biometric"]), [])
            if not points or points[-1][1] != r["total_min"]:
                points.append((day, r["total_min"]))
    return series


def rates(rows, gazetteer: Gazetteer) -> list[dict]:
    """Collection rates (采集率达95%, 八成), one per distinct statement: never summed."""
    out = []
    for s in _statements(rows, gazetteer, measure="rate"):
        out.append({"place_code": s.place.code, "place_name": s.place.name, "prefecture": s.place.prefecture,
                    "biometric": s.biometric, "rate_min": s.lo, "rate_max": s.hi, "as_of": s.as_of,
                    "sources": [_source(s)]})
    return sorted(out, key=lambda r: (r["place_code"], r["biometric"], r["as_of"] or ""))


def unplaced(rows) -> list[dict]:
    """Top-level count statements the extractor could not place, one per distinct statement."""
    seen = {}
    for row in rows:
        if (row.get("measure") or "count") != "count" or row.get("subset_of") not in (None, "") or row.get("place_code"):
            continue
        key = ((row.get("quote") or "").strip(), biometric_key(row), _num(row.get("value_min")), _num(row.get("value_max")))
        seen.setdefault(key, row)
    return list(seen.values())
