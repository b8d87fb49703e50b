"""The mock's own pages: the human index at /, robots.txt, /private/, 404."""

import html

from . import content
from .server import Response

ROBOTS = "User-agent: *\nDisallow: /private/\n"


def index(req, m):
    site = req.site
    urls = site.urls
    groups = []
    for name, keys in (
        ("微信公众号 WeChat", [k for k in urls if k.startswith("wechat") and isinstance(urls[k], str)]),
        ("澎湃新闻 The Paper", ["thepaper", "thepaper_forbidden"] + [f"thepaper_articles[{i}]" for i in range(len(content.THEPAPER))]),
        ("政府网站 Government portal (GBK)", ["gov_list", "gov_article"]),
        ("Faults", [k for k in urls if k.startswith("fault_")]),
    ):
        items = []
        for k in keys:
            if k.endswith("]"):
                base, i = k[:-1].split("[")
                url = urls[base][int(i)]
            else:
                url = urls[k]
            items.append(f'<li><a href="{html.escape(url)}">{html.escape(k)}</a></li>')
        groups.append(f"<h2>{html.escape(name)}</h2><ul>{''.join(items)}</ul>")
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bioarchive mock site</title></head><body>"
            "<h1>bioarchive mock site</h1><p>Loopback stand-ins for the archived sources. "
            "Images live on a second origin: " + html.escape(site.image_url) + "</p>"
            + "".join(groups)
            + '<h2>Other</h2><ul><li><a href="/robots.txt">robots.txt</a></li>'
              '<li><a href="/private/">/private/ (disallowed by robots.txt)</a></li></ul></body></html>')
    return Response(body=page.encode("utf-8"))


def robots(req, m):
    return Response(content_type="text/plain", body=ROBOTS.encode())


def private(req, m):
    # Reachable by link from the index: a crawler that ignores robots.txt
    # fetches it, one that obeys does not.
    return Response(body=b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>private</title></head>'
                         b'<body><p>Disallowed by robots.txt; a polite crawler never fetches this.</p></body></html>')


def not_found(req):
    return Response(status=404, body=(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
        '<body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>').encode())


def add_routes(router):
    router.add(r"/", index)
    router.add(r"/index\.html", index)
    router.add(r"/robots\.txt", robots)
    router.add(r"/private/.*", private)
