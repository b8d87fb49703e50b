import os
import subprocess
import sys
import time

import pytest

from crawler.capture.lock import LockTimeout, exclusive, lock_path, shared

HOLD = """
import sys, time
from crawler.capture.lock import {kind}
with {kind}(sys.argv[1], "index"):
    print("held", flush=True)
    time.sleep(30)
"""


def hold_in_other_process(archive_dir, kind="exclusive"):
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(kind=kind), archive_dir], stdout=subprocess.PIPE,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_process_times_out(tmp_path):
    proc = hold_in_other_process(str(tmp_path))
    try:
        start = time.monotonic()
        with pytest.raises(LockTimeout) as err:
            with exclusive(str(tmp_path), "index", timeout=0.3):
                pass
        assert 0.3 <= time.monotonic() - start < 5
        message = str(err.value)
        assert "\n" not in message
        assert lock_path(str(tmp_path), "index") in message and f"pid={proc.pid}" in message
    finally:
        proc.kill()
        proc.wait()
    # the kernel drops the lock with its holder: no stale lock after a crash
    with exclusive(str(tmp_path), "index", timeout=0) as path:
        assert f"pid={os.getpid()}" in open(path).read()
    assert open(path).read() == ""  # holder line cleared on release


def test_shared_holders_coexist_and_exclude_exclusive(tmp_path):
    proc = hold_in_other_process(str(tmp_path), kind="shared")
    try:
        with shared(str(tmp_path), "index", timeout=0):
            pass
        with pytest.raises(LockTimeout, match="shared holders"):
            with exclusive(str(tmp_path), "index", timeout=0):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_other_names_do_not_conflict(tmp_path):
    with exclusive(str(tmp_path), "index", timeout=0):
        with exclusive(str(tmp_path), "collection", timeout=0):
            assert os.path.isdir(tmp_path / "state")
