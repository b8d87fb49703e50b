"""README/README.txt of an evidence bundle: plain language, for lawyers and their experts.

It is written for a reader who has never seen a WARC file: what the bundle
holds, what each hash covers, how to check the bundle with standard tools
and with ours, and what the signature does and does not prove. The actual
hashes, key fingerprint, pages and file list are filled in, so a printed
copy is itself a record of what was sent.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

WIDTH = 78


@dataclass
class ReadmeFacts:
    bundle_name: str
    created: str  # datapackage.json "created" (UTC)
    tool: str  # "bioarchive 0.1.0"
    operator: str
    contact: str
    host: str
    user: str
    whole_collection: bool
    criteria: dict
    fingerprint: str
    pages: list[dict]  # {"url", "ts", "title"}
    members: list[tuple[str, int, str]]  # (path, bytes, sha256 hex): every file written before the README
    warc_records: int  # records in archive/
    sources: dict[str, str] = field(default_factory=dict)  # selection file -> collection file it was copied from
    evidence_rows: int = 0
    evidence_available: bool = True
    custody_events: int = 0
    timestamp_url: str | None = None
    notes: list[str] = field(default_factory=list)
    sums_path: str = "README/SHA256SUMS.txt"


def _para(text: str) -> str:
    """One paragraph: indented lines (commands) kept as they are, "- " items hung, the rest wrapped."""
    lines = text.strip("\n").split("\n")
    if lines[0].startswith(" "):
        return "\n".join(line.rstrip() for line in lines) + "\n"
    joined = " ".join(line.strip() for line in lines)
    if joined.startswith("- "):
        return textwrap.fill(joined, WIDTH, subsequent_indent="  ") + "\n"
    return textwrap.fill(joined, WIDTH) + "\n"


def _paras(*texts: str) -> str:
    """Paragraphs separated by a blank line; a text may hold several, split on blank lines."""
    blocks = [b for t in texts for b in t.strip("\n").split("\n\n") if b.strip()]
    return "\n".join(_para(b) for b in blocks)


def _title(text: str) -> str:
    return f"\n{text}\n{'=' * len(text)}\n\n"


def _what_was_chosen(f: ReadmeFacts) -> str:
    if f.whole_collection:
        return ("It holds the whole collection: every finished WARC file of the archive, copied "
                "unchanged (same bytes, same SHA-256 as when the crawl logged them).")
    parts = []
    if f.criteria.get("urls"):
        parts.append("the captures of " + ", ".join(f.criteria["urls"]))
    if f.criteria.get("since") or f.criteria.get("until"):
        parts.append(f"captured between {f.criteria.get('since') or 'the start'} and "
                     f"{f.criteria.get('until') or 'the time of bundling'} (UTC)")
    return ("It holds a selection: " + ", ".join(parts) + ". The selected records were copied byte "
            "for byte out of the collection's WARC files into new WARC files (each record keeps its "
            "original bytes, identifiers and digests); a record that only says \"same content as an "
            "earlier capture\" (a revisit) is accompanied by that earlier record.")


def render(f: ReadmeFacts) -> str:
    out = []
    out.append(f"EVIDENCE BUNDLE {f.bundle_name}\n")
    out.append(f"Made {f.created} (UTC) with {f.tool} by {f.operator or 'an unnamed operator'}"
               f"{' <' + f.contact + '>' if f.contact else ''} (user {f.user} on {f.host}).\n")
    out.append(_title("1. What this is"))
    out.append(_paras(
        "This file is a ZIP archive in the WACZ format (Web Archive Collection Zipped), the format web "
        "archives use to exchange captures. Any ZIP program opens it (rename it to .zip if your "
        "program insists). Nothing in it was recompressed: every file is stored as written.",
        "It contains web pages captured by bioarchive, a crawler used in human-rights research. A "
        "capture is everything a real browser received while loading a page (the page, its images, "
        "scripts and styles), recorded as it came over the network, plus what the browser showed: a "
        "full-page screenshot, the page's text after its scripts ran, and a record of how the "
        "capture went.",
        _what_was_chosen(f)))
    out.append(_title("2. What is inside"))
    out.append(_rows([
        ("archive/", f"The captured data: WARC files (ISO 28500), {f.warc_records} records. Each record "
                     "holds one request, one response, one screenshot, etc., with the time of capture, "
                     "the server's IP address and its own SHA-256 digests."),
        ("indexes/index.cdxj", "An index of the WARC records (address, time, position), so replay "
                               "software such as ReplayWeb.page can show the pages."),
        ("pages/pages.jsonl", "The list of captured pages: address, time, title, text."),
        ("evidence/evidence.csv", "The statements about biometric data collection read from these pages "
                                  "(one row each, with the figure, the quote and the exact WARC record it "
                                  "was read from). Opens in a spreadsheet. evidence.jsonl: the same rows."),
        ("custody/custody.jsonl", "The chain-of-custody log: who captured and packaged what, when, with "
                                  "which tool, and the SHA-256 of every file at each step."),
        ("README/README.txt", "This text."),
        (f.sums_path, "SHA-256 of every file listed in section 4, in the format of the sha256sum tool."),
        ("datapackage.json", "The manifest: the size and SHA-256 of every file above."),
        ("datapackage-digest.json", "The SHA-256 of datapackage.json and the digital signature over it."),
    ]))
    if not f.evidence_available:
        out.append("\n" + _para("No evidence table was available when this bundle was made: the evidence "
                                "files hold only their column names."))
    out.append("\n" + _para(
        "To look at the pages as the browser showed them, open this file in ReplayWeb.page, "
        "Webrecorder's viewer for web archives: at https://replayweb.page (choose this file), or, in the "
        f"directory of a bioarchive installation, run \"scrapy replay {f.bundle_name}\", which serves it "
        "on this computer only (127.0.0.1) and prints the address to open. ReplayWeb.page will show "
        "the signature as not verified: its own checker expects a P-384 key for this kind of "
        "signature, and this bundle is signed with a P-256 key. That says nothing about the bundle; "
        "check the signature as section 5 describes."))
    out.append(_title("3. The pages"))
    if f.pages:
        for p in f.pages:
            out.append(f"- {p.get('ts', '?')}  {p.get('url')}\n")
            if p.get("title"):
                out.append(f"    {p['title']}\n")
    else:
        out.append("No page visits are recorded for these captures (resources captured on their own).\n")
    out.append(_title("4. What each hash covers"))
    out.append(_paras(
        "A SHA-256 hash is a 64-character fingerprint of a file's exact bytes: change one byte and the "
        "hash changes completely. No way is known to make a different file with the same SHA-256.",
        "- Each WARC record carries two SHA-256 digests of its own (WARC-Block-Digest: the whole "
        "record content; WARC-Payload-Digest: the content as the server sent it, without transfer "
        "encoding), written at the moment of capture, in base32.",
        "- Each file of the bundle has its SHA-256 in datapackage.json and in "
        f"{f.sums_path}. These are the hashes of the files written before this README:"))
    out.append("\n")
    for path, size, digest in f.members:
        out.append(f"    {path}\n        {size:,} bytes, SHA-256 {digest}\n")
    out.append("\n" + _paras(
        "- README/README.txt (this file), SHA256SUMS.txt and the custody log are also listed, with "
        "their hashes, in datapackage.json.",
        "- datapackage-digest.json holds the SHA-256 of datapackage.json. So one hash, of "
        "datapackage.json, fixes every byte of every file in the bundle.",
        "- The digital signature is made over that hash (the text \"sha256:\" followed by the hash of "
        "datapackage.json), with an ECDSA P-256 key. The key's fingerprint is:",
        f"      {f.fingerprint}",
        "The sender should give you this fingerprint separately (letter, phone call, a separate "
        "message): it is what ties the signature to them.",
        "- The custody log: every line holds the SHA-256 of the line before it, so a line removed, "
        "changed or moved breaks the chain at the next line."))
    if f.sources:
        out.append("\n" + _para("The WARC files of this selection were copied from these files of the "
                                "collection (the \"select\" event of the custody log lists the byte "
                                "range of every record in the original file, so anyone holding the "
                                "collection can check the copy):"))
        for new, source in sorted(f.sources.items()):
            out.append(f"    archive/{new}\n      from {source}\n")
    out.append(_title("5. How to check it yourself"))
    out.append(_paras(
        "With standard tools (Linux or macOS terminal; on Windows, WSL or Git Bash):",
        f"""  unzip -d bundle {f.bundle_name}
  cd bundle
  sha256sum -c {f.sums_path}""",
        "Every line must end in OK: each file's bytes match the hash listed.",
        "  sha256sum datapackage.json",
        "The result must equal the \"hash\" in datapackage-digest.json (after \"sha256:\").",
        "  sed -n 1p custody/custody.jsonl | tr -d '\\n' | sha256sum",
        "The result must equal the \"prev\" value on line 2 of the custody log (\"sha256:\" followed by "
        "it); likewise line 2 for line 3, and so on.",
        "With py-wacz, Webrecorder's WACZ tool (pip install wacz):",
        f"  wacz validate -f {f.bundle_name}",
        "It checks every file's SHA-256 against datapackage.json and datapackage.json against "
        "datapackage-digest.json. It does not check our signature (its --verify-auth option only knows "
        "certificate-backed signatures and reports ours as not verified).",
        "With bioarchive, which checks all of the above plus the signature, every record's digests and "
        "links, and the custody chain, offline:",
        f"""  scrapy verify {f.bundle_name} \\
      --key {f.fingerprint}""",
        "(or python -m crawler.bundle.verify with the same arguments). Exit status 0 means valid, 1 "
        "invalid, 2 could not be checked offline."))
    out.append(_title("6. What the signature proves, and what it does not"))
    out.append(_paras(
        "It proves: datapackage.json, and through its hashes every file in this bundle, is exactly as "
        "it was when the holder of the private key signed it. If the fingerprint above matches the "
        "one the sender gave you by another channel, the bundle comes from them and was not changed "
        "on the way.",
        "It does not prove:",
        "- that the web server really sent these pages. The capture is the crawler's own record of "
        "what it received; no web technology today lets a server sign what it sends. Trust in the "
        "capture rests on the tool, the operator and the custody log.",
        "- who the signer is: the key is anonymous. Only the fingerprint, obtained from the sender "
        "separately, links it to a person or organisation. The public key inside the bundle proves "
        "nothing on its own: anyone can make a key and sign.",
        "- when it was signed: the \"created\" date is the signer's own clock."))
    if f.timestamp_url:
        out.append("\n" + _paras(
            f"This bundle also carries an RFC 3161 timestamp from the authority {f.timestamp_url} "
            "(\"timeSignature\" in datapackage-digest.json). That authority certifies that the "
            "signature existed at the time it states: the bundle cannot have been made or changed "
            "after that time. Check it against the authority's CA certificate, obtained from the "
            "authority itself (never the certificate inside the bundle), with jq and openssl:",
            """  jq -j .signedData.signature datapackage-digest.json > signature.txt
  jq -r .signedData.timeSignature datapackage-digest.json | base64 -d > timestamp.tsr
  openssl ts -reply -in timestamp.tsr -text
  openssl ts -verify -in timestamp.tsr -data signature.txt -CAfile AUTHORITY-CA.pem""",
            "or with bioarchive:",
            f"""  scrapy verify {f.bundle_name} \\
      --key {f.fingerprint} --tsa-ca AUTHORITY-CA.pem"""))
    else:
        out.append("\n" + _para("This bundle carries no independent timestamp (no timestamp authority "
                                "was configured), so nothing in it proves when it was made."))
    out.append(_title("7. Chain of custody"))
    out.append(_para(
        f"custody/custody.jsonl has {f.custody_events} events, one JSON object per line: \"capture\" "
        "(a WARC file finished by a crawl: its name, size, record count, SHA-256, who ran the crawl, on "
        "which machine, with which version of the tool), then \"select\" (for a selection: which "
        "records were copied from which file) and \"bundle\" (the making of this bundle: the SHA-256 "
        "of every file written before the log). The log is copied unchanged from the collection, "
        "so its earlier lines are the ones written at capture time."))
    if f.notes:
        out.append(_title("8. Notes"))
        for note in f.notes:
            out.append(textwrap.fill(note, WIDTH, initial_indent="- ", subsequent_indent="  ") + "\n")
    return "".join(out)


def _rows(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows) + 2
    out = []
    for name, text in rows:
        wrapped = textwrap.wrap(text, WIDTH - width)
        out.append(f"{name:<{width}}{wrapped[0]}\n")
        out += [f"{'':<{width}}{line}\n" for line in wrapped[1:]]
    return "".join(out)
