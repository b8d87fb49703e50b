"""`make demo`'s script, end to end: two nights of the mock site, evidence, a signed bundle verified.

The README promises that one command shows the whole tool working; this test
runs that script (on free ports, into a temporary collection) and holds it
to its exit status and to what it says it did.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.crawling import ROOT, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium"),
]


def test_the_demo_runs_two_nights_and_verifies_its_bundle(tmp_path):
    collection = tmp_path / "demo"
    env = dict(os.environ, DEMO_HTTP_PORT=str(free_port()), DEMO_HTTPS_PORT=str(free_port()))
    result = subprocess.run(["bash", "scripts/demo.sh", str(collection)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    lines = out.splitlines()
    nights = [i for i, line in enumerate(lines) if line.startswith("bioarchive nightly run ")]
    assert len(nights) == 2 and all(lines[i].endswith(": OK") for i in nights), out[-4000:]
    second = "\n".join(lines[nights[1]:nights[1] + 4])
    assert " changed" in second and "newly)" in second and "monitors: PASS" in second, second
    assert any(line.startswith("VALID: ") for line in lines), out[-4000:]
    assert (collection / "reports" / "latest.json").exists()
    assert (collection / "evidence.csv").stat().st_size > 0
