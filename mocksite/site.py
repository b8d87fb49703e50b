"""MockSite: the mock's two servers (http, https), their routes and its URLs.

Library use (tests, in-process):

    with MockSite() as site:
        site.urls["wechat_classic"], site.seeds(), site.ca_cert_path
        site.night = 2          # the next night of the same site, same ports
        site.night_changes()    # what a crawler should report for it

Pages are addressed by `host` (127.0.0.1); WeChat images by `image_host`
(localhost), a different origin like mmbiz.qpic.cn, on the https port.
"""

import os
import shutil
import tempfile

from . import bench, content, faults, gov, images, pages, thepaper, wechat
from .server import Router, Server, serve_in_thread
from .tls import make_tls

SEED_GROUPS = (
    ("wechat", "WeChat public-account articles: classic template, Tibetan/Chinese, short link, image post"),
    ("wechat_gone", "WeChat deleted / blocked notices (permanent) and captcha / throttle pages (temporary)"),
    ("thepaper", "The Paper 澎湃号·政务 articles (Next.js, rendered client-side); one answers 403"),
    ("gov", "Government portal (TRS CMS, GBK): list page only; pagination is written by JavaScript"),
    ("faults", "slow, TCP reset, 500, 404, redirect loop, 5 MB page, binary as text/html"),
)


class MockSite:
    def __init__(self, host="127.0.0.1", http_port=0, https_port=0, tls_dir=None,
                 image_host="localhost", lazy_image_params=True, verbose=False, night=1):
        self.host = host
        self.page_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.image_host = image_host
        self.verbose = verbose
        # True: WeChat's lazy loader requests data-src + "&wxfrom=5&wx_lazy=1&wx_co=1",
        # as the real one does; False: it requests data-src exactly.
        self.lazy_image_params = lazy_image_params
        self.night = night
        self._ports = (http_port, https_port)
        self._tls_dir = tls_dir
        self._own_tls_dir = None
        self._servers = []
        self._threads = []
        self.http_url = self.https_url = self.image_url = None
        self.ca_cert_path = None
        self.urls = {}

    # --- which night ---------------------------------------------------------------

    @property
    def night(self):
        """The night being served (content.NIGHTS); read per request, so setting
        it switches the running site to another night on the same ports."""
        return self._night

    @night.setter
    def night(self, night):
        if night not in content.NIGHTS:
            raise ValueError(f"no night {night!r}; the mock has nights {sorted(content.NIGHTS)}")
        self._night = night

    # --- lifecycle -------------------------------------------------------------

    def start(self):
        if self._servers:
            return self
        router = Router()
        for module in (pages, wechat, thepaper, gov, images, faults, bench):
            module.add_routes(router)
        tls_dir = self._tls_dir
        if tls_dir is None:
            tls_dir = self._own_tls_dir = tempfile.mkdtemp(prefix="mocksite-tls-")
        ctx, self.ca_cert_path = make_tls(tls_dir, [self.page_host, "localhost", "127.0.0.1",
                                                    self.image_host, self.host if self.host else None])
        http = Server((self.host, self._ports[0]), router, self)
        https = Server((self.host, self._ports[1]), router, self, ssl_context=ctx)
        self._servers = [http, https]
        self.http_port = http.server_address[1]
        self.https_port = https.server_address[1]
        self.http_url = f"http://{self.page_host}:{self.http_port}"
        self.https_url = f"https://{self.page_host}:{self.https_port}"
        self.image_url = f"https://{self.image_host}:{self.https_port}"
        self.urls = self._notable_urls()
        self._threads = [serve_in_thread(s) for s in self._servers]
        return self

    def stop(self):
        for s in self._servers:
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)
        self._servers, self._threads = [], []
        if self._own_tls_dir:
            shutil.rmtree(self._own_tls_dir, ignore_errors=True)
            self._own_tls_dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- addresses ---------------------------------------------------------------

    def url(self, path, https=False):
        return (self.https_url if https else self.http_url) + path

    def page_netloc(self, scheme):
        return f"{self.page_host}:{self.https_port if scheme == 'https' else self.http_port}"

    def not_found(self, req):
        return pages.not_found(req)

    def _notable_urls(self):
        urls = {"index": self.url("/"), "robots": self.url("/robots.txt"), "private": self.url("/private/")}
        for module in (wechat, thepaper, gov, faults):
            urls.update(module.notable_urls(self))
        return urls

    # --- seeds -------------------------------------------------------------------

    def seed_groups(self):
        """{group name: [url, ...]} in the order of SEED_GROUPS."""
        u = self.urls
        return {
            "wechat": u["wechat_articles"] + [u["wechat_short"], u["wechat_image_post"]],
            "wechat_gone": [u[k] for k in content.WECHAT_NOTICES] + [u["wechat_captcha"], u["wechat_frequent"]],
            "thepaper": u["thepaper_articles"] + [u["thepaper_forbidden"]],
            "gov": [u["gov_list"]],
            "faults": [u["fault_slow"], u["fault_reset"], u["fault_500"],
                       u["fault_404"], u["fault_loop"], u["fault_big"], u["fault_binary"]],
        }

    def seeds(self):
        return [url for urls in self.seed_groups().values() for url in urls]

    def seeds_text(self):
        groups = self.seed_groups()
        blocks = []
        for name, description in SEED_GROUPS:
            blocks.append(f"# {name}: {description}\n" + "\n".join(groups[name]) + "\n")
        return "\n".join(blocks)

    def write_seeds(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.seeds_text())
        return path

    # --- what is where ---------------------------------------------------------------

    def catalog(self):
        """Every article the mock serves: url, source, title, publisher, published, truth."""
        rows = []
        for p in content.WECHAT + content.WECHAT_IMAGE:
            rows.append((p, self.url(wechat.ident(p).path, https=True)))
        for p in content.THEPAPER:
            rows.append((p, self.url(thepaper.path(p), https=True)))
        for p in content.GOV:
            rows.append((p, self.url(gov.article_path(p))))
        return [dict(key=p.key, url=url, source=p.source, title=p.title, publisher=p.publisher,
                     published=p.published, truth=dict(p.truth)) for p, url in rows]

    def night_changes(self, night=None):
        """What a correct crawler reports after `night` (default: the night being
        served) for each page URL that differs from night 1: {url: entry}. A page
        URL (site.urls, catalog(), list pages) not in it is unchanged.

        Every entry has `status` (changed | deleted | unavailable) and `key` (the
        post; None for a list page). Edited posts add `replace` [(old, new)], the
        `truth` after the edit and `figure` (old, new), or None when only the
        text changed. Replaced posts add `by` (a notice key with its `message`,
        "not_found" or "captcha"). A short link of a changed post is changed too
        (`redirects_to`). A changed list page adds the articles it linked that no
        list page links any more (`removed`) and its article links on that night
        in order (`links`: later items move up into the gap).
        """
        night = self.night if night is None else night
        changes = content.NIGHTS[night]
        urls = {c["key"]: c["url"] for c in self.catalog()}
        table = {}
        for key, change in changes.items():
            old = content.post(key)
            entry = dict(key=key)
            if isinstance(change, content.Edited):
                new = change.apply(old)
                entry.update(status="changed", replace=[list(pair) for pair in change.replace], truth=new.truth,
                             figure=(None if new.truth.get("figure") == old.truth.get("figure")
                                     else (old.truth.get("figure"), new.truth.get("figure"))))
            else:
                entry.update(status=content.REPLACED_STATUS[change.by], by=change.by)
                if change.by in content.WECHAT_NOTICES:
                    entry["message"] = content.WECHAT_NOTICES[change.by][1]
            table[urls[key]] = entry
            if key in wechat.SHORT_LINKS:
                short = self.url("/s/" + wechat.SHORT_LINKS[key].short_code, https=True)
                table[short] = dict(entry, redirects_to=urls[key])
        table.update(self._list_changes(night))
        return table

    def _list_changes(self, night):
        """The gov list pages whose items differ from night 1's."""
        before, after = gov.pages(1), gov.pages(night)
        still_listed = {p.key for page in after for p in page}

        def shown(posts):   # what a list item shows: link, title, date
            return [(gov.article_path(p), p.title, p.published[:10]) for p in posts]

        table = {}
        for n, rows in enumerate(before):
            url = self.url(gov.list_path(n))
            if n >= len(after):
                table[url] = dict(key=None, status="deleted", by="not_found")
            elif shown(rows) != shown(after[n]) or len(before) != len(after):   # every page shows the count
                table[url] = dict(key=None, status="changed",
                                  removed=[self.url(gov.article_path(p)) for p in rows if p.key not in still_listed],
                                  links=[self.url(gov.article_path(p)) for p in after[n]])
        return table
