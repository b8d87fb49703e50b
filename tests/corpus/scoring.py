"""Score pipelines.statements against the labelled corpus (tests/corpus/statements.yaml).

Shared by tests/test_statements.py and benchmarks/extraction_quality.py so the
test floor and the printed figures come from one computation.

An extracted row and a labelled statement match when their key tuples are
equal: (biometric, measure, value_min, value_max, place_code), values compared
to 1e-9. Within one document the pairing is one-to-one and in text order, so a
figure repeated in the summary and the body needs both rows. Precision and
recall are over those tuples; period (start, end) accuracy and the other
attributes (qualifier, unit, cumulative, subset, subjects, approximate) are
measured on the matched pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CORPUS = Path(__file__).parent / "statements.yaml"
PAGES_LABELS = Path(__file__).parent / "pages_published_at.yaml"
BASELINE = "targets.md table + corpus labels"


class CorpusError(Exception):
    pass


def load_corpus(path: Path = CORPUS) -> list[dict]:
    try:
        docs = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot read the corpus: {exc}") from None
    for d in docs:
        for s in d["statements"]:
            s.setdefault("biometrics", [s["biometric"]])
            s.setdefault("subjects", [])
            if s["figure"] not in d["text"]:
                raise CorpusError(f"{path}: {d['id']}: figure {s['figure']!r} is not in the text")
        for x in d.get("distractors", []):
            if x["figure"] not in d["text"]:
                raise CorpusError(f"{path}: {d['id']}: distractor {x['figure']!r} is not in the text")
    return docs


def _num_eq(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)


def _key_eq(row, label: dict) -> bool:
    return (row.biometric == label["biometric"] and row.measure == label["measure"]
            and _num_eq(row.value_min, label["value_min"]) and _num_eq(row.value_max, label["value_max"])
            and row.place_code == label["place_code"])


def _value_eq(row, label: dict) -> bool:
    return row.measure == label["measure"] and _num_eq(row.value_min, label["value_min"]) \
        and _num_eq(row.value_max, label["value_max"])


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    period_ok: int = 0
    period_total: int = 0
    attrs_ok: dict = field(default_factory=dict)     # attribute -> matched pairs where equal
    misses: list = field(default_factory=list)       # (doc id, label, why)
    false_rows: list = field(default_factory=list)   # (doc id, row, distractor kind or None)
    miss_kinds: dict = field(default_factory=dict)   # kind -> misses
    kind_totals: dict = field(default_factory=dict)  # kind -> labelled statements
    fp_kinds: dict = field(default_factory=dict)     # distractor kind -> false rows
    distractor_figures: int = 0
    statements: int = 0
    documents: int = 0
    wrong_periods: list = field(default_factory=list)
    wrong_attrs: list = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def period_accuracy(self) -> float:
        return self.period_ok / self.period_total if self.period_total else 1.0


ATTRIBUTES = ("qualifier", "approximate", "unit", "cumulative", "subset", "subjects", "biometrics")


def _attr(row, label: dict, name: str, rows: list, labels: list) -> bool:
    if name == "subset":
        want = label["subset"]
        if want is None:
            return row.subset_of is None
        return row.subset_of is not None and rows[row.subset_of] is not None \
            and rows[row.subset_of] is labels[want].get("_matched")
    if name == "subjects":
        return sorted(row.subjects) == sorted(label["subjects"])
    if name == "biometrics":
        return list(row.biometrics) == list(label["biometrics"])
    return getattr(row, name) == label[name]


def score(docs: list[dict], extract) -> Score:
    """`extract(doc) -> list[Statement]` for each document."""
    sc = Score()
    for doc in docs:
        sc.documents += 1
        rows = extract(doc)
        labels = [dict(s) for s in doc["statements"]]
        sc.statements += len(labels)
        sc.distractor_figures += len(doc.get("distractors", []))
        used = [False] * len(rows)
        pairs = []
        for label in labels:
            for k in label["kinds"]:
                sc.kind_totals[k] = sc.kind_totals.get(k, 0) + 1
            hit = next((i for i, r in enumerate(rows) if not used[i] and _key_eq(r, label)), None)
            if hit is None:
                sc.fn += 1
                near = next((r for i, r in enumerate(rows) if not used[i] and _value_eq(r, label)), None)
                why = "not found" if near is None else (
                    f"found as ({near.biometric}, {near.place_code} {near.place_name})")
                sc.misses.append((doc["id"], label, why))
                for k in label["kinds"]:
                    sc.miss_kinds[k] = sc.miss_kinds.get(k, 0) + 1
                continue
            used[hit] = True
            label["_matched"] = rows[hit]
            pairs.append((rows[hit], label))
            sc.tp += 1
        for i, r in enumerate(rows):
            if used[i]:
                continue
            sc.fp += 1
            kind = next((x["kind"] for x in doc.get("distractors", []) if x["figure"] in r.figure
                         or r.figure in x["figure"]), None)
            sc.false_rows.append((doc["id"], r, kind))
            key = kind or "unlabelled"
            sc.fp_kinds[key] = sc.fp_kinds.get(key, 0) + 1
        for row, label in pairs:
            sc.period_total += 1
            if row.period_start == label["period_start"] and row.period_end == label["period_end"]:
                sc.period_ok += 1
            else:
                sc.wrong_periods.append((doc["id"], label["figure"], (row.period_start, row.period_end),
                                         (label["period_start"], label["period_end"])))
            for name in ATTRIBUTES:
                ok = _attr(row, label, name, rows, labels)
                sc.attrs_ok[name] = sc.attrs_ok.get(name, 0) + ok
                if not ok:
                    got = row.subset_of if name == "subset" else getattr(row, name, None)
                    sc.wrong_attrs.append((doc["id"], label["figure"], name, got, label[name]))
    return sc


def extract_doc(doc: dict):
    from pipelines.statements import extract_statements

    return extract_statements(doc["text"], published_at=doc["published_at"],
                              publisher=doc["publisher"], title=doc.get("title"))
