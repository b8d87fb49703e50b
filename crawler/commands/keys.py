"""``scrapy keys``: the key that signs evidence bundles.

    scrapy keys            create the key if there is none (never replaces one), print its fingerprint
    scrapy keys --show     print the fingerprint of the existing key (error if there is none)

The fingerprint ("sha256:" + SHA-256 of the public key) is what recipients
need, by a channel other than the bundle itself, to know a bundle is yours.
Key file: BUNDLE_SIGNING_KEY, default ARCHIVE_DIR/keys/bundle-signing-key.pem
(mode 0600); the public key is written beside it (.pub.pem) to hand out.
"""

from __future__ import annotations

import os

from scrapy.commands import ScrapyCommand

from crawler.bundle.keys import (KeyError_, fingerprint, key_path, load_key, load_or_create_key,
                                 permission_warning, write_public_key)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--show]"

    def short_desc(self):
        return "Create (once) the bundle signing key and print its fingerprint for recipients"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--show", action="store_true", help="only show the existing key; create nothing")

    def run(self, args, opts):
        path = key_path(self.settings)
        try:
            if opts.show:
                if not os.path.exists(path):
                    print(f"keys: no signing key at {path}; run `scrapy keys` to create one")
                    self.exitcode = 1
                    return
                key, created = load_key(path), False
            else:
                key, created = load_or_create_key(path)
            public = write_public_key(path, key)
        except (KeyError_, OSError) as e:
            print(f"keys: {e}")
            self.exitcode = 1
            return
        print(("Created signing key " if created else "Signing key ") + path)
        print(f"Public key:  {public}")
        print(f"Fingerprint: {fingerprint(key)}")
        if created:
            print("Give this fingerprint to the people you send bundles to, by another channel than the "
                  "bundles themselves; keep the key file private and backed up.")
        warning = permission_warning(path)
        if warning:
            print(warning)

