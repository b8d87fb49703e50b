"""``scrapy verify FILE.wacz [--key FINGERPRINT] [--tsa-ca PEM] [--json]``: check an evidence bundle, offline.

Needs no collection (a legal team runs it on a bundle alone): the command
reads only the file it is given. Exit 0 valid, 1 invalid, 2 could not be
verified offline. The same is ``python -m crawler.bundle.verify``.
"""

from __future__ import annotations

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.bundle import verify


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "FILE.wacz [--key FINGERPRINT] [--tsa-ca PEM] [--json]"

    def short_desc(self):
        return "Verify a WACZ evidence bundle offline (exit 0 valid, 1 invalid, 2 not verifiable offline)"

    def long_desc(self):
        return (self.short_desc() + ". Checks the manifest, the signature, every WARC record's digests and "
                "references, the index, the page list and the custody chain; names each failing file and record.")

    def add_options(self, parser):
        super().add_options(parser)
        verify.add_arguments(parser)

    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give one bundle: scrapy verify FILE.wacz")
        self.exitcode = verify.run(args[0], opts.key, opts.tsa_ca, opts.json)
