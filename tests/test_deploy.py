"""The scheduling units shipped in deploy/systemd/ are valid and run the README's nightly command."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess

import pytest

from tests.crawling import ROOT

UNITS = os.path.join(ROOT, "deploy", "systemd")


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(UNITS, name), encoding="utf-8")
    return parser


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_units_verify(tmp_path):
    # As installed: pointing at this checkout instead of /opt/bioarchive.
    for name in ("bioarchive-nightly.service", "bioarchive-nightly.timer"):
        text = open(os.path.join(UNITS, name), encoding="utf-8").read().replace("/opt/bioarchive", ROOT)
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "bioarchive-nightly.service"),
                             str(tmp_path / "bioarchive-nightly.timer")], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_service_runs_scrapy_nightly_from_the_project_venv():
    service = unit("bioarchive-nightly.service")["Service"]
    command = service["ExecStart"].split()
    assert command[0] == "/opt/bioarchive/.venv/bin/scrapy" and command[1:3] == ["nightly", "--seeds"]
    assert service["WorkingDirectory"] == "/opt/bioarchive" and service["Type"] == "oneshot"
    assert service["KillSignal"] == "SIGTERM"  # a stop closes the WARC files; the next run resumes
    timer = unit("bioarchive-nightly.timer")["Timer"]
    assert timer["Unit"] == "bioarchive-nightly.service" and timer["Persistent"] == "true"
