"""Many distinct static portal articles, for speed benchmarks only.

``/bench/gadt/tNNNNN.html`` (N below BENCH_PAGES) renders the portal article
template with the text of a real mock post and its own title and date, so
every page has a distinct payload (no revisits) but the size and shape of the
portal's pages. Not in the seed list: the benchmarks ask for them.
"""

from __future__ import annotations

import dataclasses

from . import content, gov

BENCH_PAGES = 5000
BASE = "/bench/gadt"


def bench_path(n: int) -> str:
    return f"{BASE}/t{n:05d}.html"


def _post(n: int):
    base = content.GOV[n % len(content.GOV)]
    return dataclasses.replace(base, key=f"bench{n}", title=f"{base.title}（{n}）")


def article_route(req, m):
    n = int(m.group(1))
    return gov.render_article(_post(n), req) if n < BENCH_PAGES else None


def add_routes(router):
    router.add(rf"{BASE}/t(\d{{5}})\.html", article_route)


def bench_urls(site, count: int) -> list[str]:
    return [site.url(bench_path(n)) for n in range(min(count, BENCH_PAGES))]
