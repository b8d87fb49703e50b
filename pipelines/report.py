"""The researchers' report: one self-contained HTML file.

What each place's police said they collected (the estimate, see
pipelines/estimate.py), a chart of the reported totals over time by
prefecture (inline SVG, one per biometric), the collection rates they gave,
and the figures no place could be found for. Every figure links to the page
it was read from and names its capture: capture time, WARC file#offset and
WARC-Record-ID, so a reader can find the record in the collection.

No scripts, no external styles, fonts or images: the file opens offline and
can be archived itself. Every string from a page is escaped (page text is
hostile), and only http(s) addresses become links.
"""

from __future__ import annotations

import html
import math
from datetime import date, datetime, timezone

from pipelines import estimate as estimate_rules
from pipelines.gazetteer import Gazetteer

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd")
BIOMETRIC_NAMES = {"dna": "DNA (blood samples)", "iris": "iris", "fingerprint": "fingerprints",
                   "face": "face images", "voice": "voice prints"}

_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:2em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ddd;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}
tr.prefecture td{background:#fafaf0}tr.province td{background:#f0f4fa;font-weight:bold}
.src{margin:.2em 0 .6em 0}.src blockquote{margin:.2em 0 0 1em;color:#444;font-size:.95em}
.rec{font-family:monospace;font-size:.85em;color:#555;word-break:break-all}
.flag{display:inline-block;background:#fee;border:1px solid #d99;border-radius:3px;padding:0 .3em;margin:0 .2em .2em 0;font-size:.85em}
.note{color:#555;font-size:.9em}svg{max-width:100%;height:auto}
details pre{white-space:pre-wrap;background:#f8f8f8;padding:1em}
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _href(url) -> str | None:
    """Only http(s) addresses become links (a javascript: URL from a page never does)."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")) and not any(c in url for c in "\r\n\t"):
        return esc(url)
    return None


def _n(value) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def total_text(r: dict) -> str:
    lo, hi = r["total_min"], r["total_max"]
    if lo is None:
        return f"≤ {_n(hi)}" if hi is not None else ""
    if hi is None:
        return f"≥ {_n(lo)}"
    return _n(lo) if lo == hi else f"{_n(lo)}–{_n(hi)}"


def share_text(r: dict) -> str:
    lo, hi = r["share_min"], r["share_max"]
    if lo is None:
        return f"≤ {hi:.1%}" if hi is not None else ""
    if hi is None:
        return f"≥ {lo:.1%}"
    return f"{lo:.1%}" if abs(lo - hi) < 1e-12 else f"{lo:.1%}–{hi:.1%}"


def _anchor(code, biometric) -> str:
    return f"place-{esc(code)}-{esc(biometric).replace('+', '-')}"


def _value_text(src: dict) -> str:
    lo, hi = src.get("value_min"), src.get("value_max")
    if lo is None:
        return f"≤ {_n(hi)}"
    if hi is None:
        return f"≥ {_n(lo)}"
    return _n(lo) if lo == hi else f"{_n(lo)}–{_n(hi)}"


def source_html(src: dict) -> str:
    """One figure: its value linked to the page, the capture and record, the quote."""
    label = esc(_value_text(src)) + (f" <span class=note>({esc(src.get('figure'))})</span>" if src.get("figure") else "")
    href = _href(src.get("url"))
    link = f'<a href="{href}" rel="noreferrer noopener">{label}</a>' if href else label
    where = esc(src.get("place_name")) if src.get("place_name") else ""
    parts = [f"<div class=src>{link}"
             + (f" · {where}" if where else "")
             + (f" · as of {esc(src.get('as_of'))}" if src.get("as_of") else "")
             + (" · cumulative" if src.get("cumulative") else "")
             + f"<br><span class=rec>url {esc(src.get('url'))}<br>captured {esc(src.get('captured_at'))} · "
               f"record {esc(src.get('warc_filename'))}#{esc(src.get('warc_offset'))} "
               f"{esc(src.get('warc_record_id'))}</span>"]
    others = src.get("other_captures") or []
    if others:
        parts.append("<br><span class=rec>also captured: " + "; ".join(
            f"{esc(o.get('captured_at'))} {esc(o.get('warc_filename'))}#{esc(o.get('warc_offset'))}"
            + (f" ({esc(o.get('url'))})" if o.get("url") != src.get("url") else "")
            for o in others) + "</span>")
    if src.get("quote"):
        parts.append(f"<blockquote lang=zh>{esc(src.get('quote'))}</blockquote>")
    parts.append("</div>")
    return "".join(parts)


# -- the chart --------------------------------------------------------------------------

def _day(iso: str) -> int:
    return date.fromisoformat(iso).toordinal()


def chart_svg(series: dict, gazetteer: Gazetteer, biometric: str, *, width: int = 900, height: int = 380) -> str:
    """Reported totals over time, one step line per prefecture, log scale (values span 10^2..10^6)."""
    lines = {code: pts for (code, bio), pts in series.items() if bio == biometric and pts}
    if not lines:
        return ""
    left, right, top, bottom = 70, 230, 20, 40
    pw, ph = width - left - right, height - top - bottom
    days = [_day(d) for pts in lines.values() for d, _ in pts]
    values = [v for pts in lines.values() for _, v in pts if v and v > 0]
    if not values:
        return ""
    first_year, last_year = date.fromordinal(min(days)).year, date.fromordinal(max(days)).year + 1
    x0, x1 = date(first_year, 1, 1).toordinal(), date(last_year, 1, 1).toordinal()
    e0, e1 = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    if math.log10(min(values)) - e0 < 0.2:   # keep points off the axis
        e0 -= 1
    if math.log10(max(values)) > e1 - 0.1:
        e1 += 1

    def x(d: int) -> float:
        return left + (d - x0) / (x1 - x0) * pw

    def y(v: float) -> float:
        return top + ph - (math.log10(max(v, 10 ** e0)) - e0) / (e1 - e0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="{esc(BIOMETRIC_NAMES.get(biometric, biometric))}: reported totals by prefecture">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for e in range(e0, e1 + 1):
        yy = y(10 ** e)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end">{_n(10 ** e)}</text>')
    step = max(1, (last_year - first_year) // 10)
    for year in range(first_year, last_year + 1, step):
        xx = x(date(year, 1, 1).toordinal())
        out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{top + ph}" stroke="#eee"/>'
                   f'<text x="{xx:.1f}" y="{top + ph + 16}" font-size="11" text-anchor="middle">{year}</text>')
    end = max(days)
    ordered = sorted(lines.items(), key=lambda kv: -kv[1][-1][1])
    for i, (code, pts) in enumerate(ordered):
        color = PALETTE[i % len(PALETTE)]
        place = gazetteer.by_code(code)
        name = place.name if place else code
        path = [f"M{x(_day(pts[0][0])):.1f},{y(pts[0][1]):.1f}"]
        path += [f"H{x(_day(d)):.1f}V{y(v):.1f}" for d, v in pts[1:]]
        path.append(f"H{x(end):.1f}")   # the last figure holds until the latest date
        out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="2"/>')
        for d, v in pts:
            out.append(f'<a href="#{_anchor(code, biometric)}"><circle cx="{x(_day(d)):.1f}" cy="{y(v):.1f}" r="3.5" '
                       f'fill="{color}"><title>{esc(name)}: {esc(_n(v))} (as of {esc(d)})</title></circle></a>')
        ly = top + 14 + i * 17
        out.append(f'<rect x="{left + pw + 12}" y="{ly - 9}" width="12" height="10" fill="{color}"/>'
                   f'<text x="{left + pw + 30}" y="{ly}" font-size="12">{esc(name)} {esc(_n(pts[-1][1]))}</text>')
    out.append(f'<text x="{left}" y="{height - 4}" font-size="11" fill="#555">reported totals (lower bounds), '
               f'log scale; each step is a dated figure</text></svg>')
    return "\n".join(out)


# -- the page ---------------------------------------------------------------------------

def _place_table(rows: list[dict]) -> str:
    head = ("<table><thead><tr><th>Place</th><th>Prefecture</th><th>Biometric</th><th>Reported total</th>"
            "<th>Residents (2020)</th><th>Share</th><th>As of</th><th>Rule</th><th>Sources</th></tr></thead><tbody>")
    body = []
    for r in rows:
        flags = "".join(f"<span class=flag>{esc(f)}</span>" for f in r["flags"])
        body.append(
            f'<tr id="{_anchor(r["place_code"], r["biometric"])}" class="{esc(r["level"])}">'
            f'<td>{esc(r["place_name"])}<br><span class=note>{esc(r["place_code"])} · {esc(r["level"])}</span></td>'
            f'<td>{esc(r["prefecture"] or r["province"])}</td>'
            f'<td>{esc(BIOMETRIC_NAMES.get(r["biometric"], r["biometric"]))}</td>'
            f'<td class=num>{esc(total_text(r))}<br>{flags}</td>'
            f'<td class=num>{esc(_n(r["population"]))}</td>'
            f'<td class=num>{esc(share_text(r))}</td>'
            f'<td>{esc(r["as_of"])}</td>'
            f'<td>{esc(r["rule"])}' + (f'<br><span class=note>{esc(r["notes"])}</span>' if r["notes"] else "") + "</td>"
            f'<td>{"".join(source_html(s) for s in r["sources"])}</td></tr>')
    return head + "".join(body) + "</tbody></table>"


def _rates_table(found: list[dict]) -> str:
    if not found:
        return "<p>None.</p>"
    body = []
    for r in found:
        lo, hi = r["rate_min"], r["rate_max"]
        value = f"{lo:.0%}" if lo is not None and (hi is None or lo == hi) else \
            (f"{lo:.0%}–{hi:.0%}" if lo is not None else f"≤ {hi:.0%}" if hi is not None else "")
        body.append(f"<tr><td>{esc(r['place_name'])}</td><td>{esc(r['prefecture'])}</td>"
                    f"<td>{esc(BIOMETRIC_NAMES.get(r['biometric'], r['biometric']))}</td><td class=num>{esc(value)}</td>"
                    f"<td>{esc(r['as_of'])}</td><td>{''.join(source_html(s) for s in r['sources'])}</td></tr>")
    return ("<table><thead><tr><th>Place</th><th>Prefecture</th><th>Biometric</th><th>Rate</th><th>As of</th>"
            "<th>Source</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>")


def _unplaced_table(found: list[dict]) -> str:
    if not found:
        return "<p>None.</p>"
    body = []
    for row in found:
        src = {k: row.get(k) for k in estimate_rules.SOURCE_FIELDS}
        src.update(value_min=row.get("value_min"), value_max=row.get("value_max"), figure=row.get("figure"))
        body.append(f"<tr><td>{esc(row.get('publisher'))}</td><td>{esc(row.get('title'))}</td>"
                    f"<td>{esc(estimate_rules.biometric_key(row))}</td><td>{source_html(src)}</td></tr>")
    return ("<table><thead><tr><th>Publisher</th><th>Title</th><th>Biometric</th><th>Figure</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def render(rows: list[dict], gazetteer: Gazetteer, *, collection: str | None = None,
           generated_at: str | None = None) -> str:
    """The whole report for these evidence rows, as one HTML document."""
    generated_at = generated_at or datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    places = estimate_rules.estimate(rows, gazetteer)
    series = estimate_rules.timeline(rows, gazetteer, level="prefecture")
    found_rates = estimate_rules.rates(rows, gazetteer)
    lost = estimate_rules.unplaced(rows)
    urls = {r.get("url") for r in rows}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing is fetched: no scripts, no external styles, fonts or images.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        "<title>Biometric collection reported by police: Tibet Autonomous Region and Qinghai</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Biometric collection reported by police in the Tibet Autonomous Region and Qinghai</h1>",
        f"<p class=note>Generated {esc(generated_at)}"
        + (f" from the collection {esc(collection)}" if collection else "")
        + f": {len(rows)} statements from {len(urls)} pages; {len(places)} place rows.</p>",
        "<p>Totals are what the police reported, read from archived pages; unreported collection is not "
        "counted, so each total is a floor. Shares divide by the 2020 census resident population.</p>",
        "<details><summary>How the totals are computed</summary><pre>"
        + esc(estimate_rules.__doc__.strip()) + "</pre></details>",
        "<h2>Reported totals over time, by prefecture</h2>",
    ]
    biometrics = sorted({b for _, b in series}, key=lambda b: (b != "dna", b))
    if not biometrics:
        parts.append("<p>No dated figures yet.</p>")
    for biometric in biometrics:
        parts.append(f"<h3>{esc(BIOMETRIC_NAMES.get(biometric, biometric))}</h3>")
        parts.append(chart_svg(series, gazetteer, biometric))
    parts += [
        "<h2>By place</h2>",
        _place_table(places) if places else "<p>No placed collection figures yet.</p>",
        "<h2>Collection rates reported (not counts, never added)</h2>",
        _rates_table(found_rates),
        "<h2>Figures with no place</h2>",
        "<p class=note>The extractor found no place in the sentence, the text before it, the title or the "
        "publisher; these are not in any total.</p>",
        _unplaced_table(lost),
        "<h2>Sources of the population figures</h2>",
        "<p class=note>Resident population: Seventh National Population Census (2020) bulletins, as digitised in "
        "the “China Census” dataset by Lei Dong et al. (MIT licence); administrative units as of 2020, with "
        "later renamings as aliases in the project gazetteer.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)
