"""Run the mock in the foreground until SIGTERM/SIGINT.

    python -m mocksite [--host 127.0.0.1] [--http-port N] [--https-port N]
                       [--tls-dir DIR] [--write-seeds FILE] [--night N] [--verbose]

Prints one JSON line when ready: {"http_url", "https_url", "ca_cert", "seeds"}
(plus "image_url", "urls" and "night"), so scripts can read the ports.
"""

import argparse
import json
import signal
import sys
import threading

from . import content
from .site import MockSite


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m mocksite", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--http-port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--https-port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--tls-dir", default=None, help="where ca.pem is written (default: a temp dir)")
    ap.add_argument("--image-host", default="localhost", help="host name of the image origin")
    ap.add_argument("--no-lazy-image-params", action="store_true",
                    help="lazy images fetch data-src exactly (WeChat appends &wxfrom=5&wx_lazy=1&wx_co=1)")
    ap.add_argument("--write-seeds", metavar="FILE", default=None)
    ap.add_argument("--night", type=int, default=1, choices=sorted(content.NIGHTS),
                    help="serve that night of the site (1: as first crawled; 2: the next night, "
                         "with edited, deleted and challenged posts); same URLs on every night")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())

    site = MockSite(host=args.host, http_port=args.http_port, https_port=args.https_port,
                    tls_dir=args.tls_dir, image_host=args.image_host,
                    lazy_image_params=not args.no_lazy_image_params, verbose=args.verbose,
                    night=args.night).start()
    try:
        seeds = site.write_seeds(args.write_seeds) if args.write_seeds else None
        print(json.dumps({"http_url": site.http_url, "https_url": site.https_url,
                          "ca_cert": site.ca_cert_path, "seeds": seeds,
                          "image_url": site.image_url, "urls": site.urls, "night": site.night},
                         ensure_ascii=False), flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
