"""Our warcprox: the recording proxy every byte of a crawl goes through.

Run as::

    python -m crawler.capture.proxy_server --archive-dir DIR --prefix P \\
        --rollover-size N --port 0 --ready-file FILE --warcinfo FILE.json \\
        [--allow-private] [--block-host SUFFIX ...] [--no-dedup]

It is warcprox 2.13 (options from warcprox's own argument parser, its
controller, writer and dedup database), bound to 127.0.0.1, with these changes
made by subclassing (site-packages stays untouched), in proxy_records (what is
written) and proxy_policy (what is let through):

- every record is WARC/1.1, and the warcinfo record opening each file carries
  the collection's fields (``--warcinfo``, from crawler.capture.warcinfo);
- request records get a WARC-Payload-Digest too (over the request body);
- targets resolving to private addresses are refused (403, no record), also
  after connecting (DNS rebinding), unless ``--allow-private``;
- hosts of ``--block-host`` (Chromium's own background calls) are refused;
- a client cannot steer recording: the ``Warcprox-Meta`` request header is
  dropped (a page's script could otherwise send ``{"warc-prefix": "-"}`` and
  go unrecorded), ``WARCPROX_WRITE_RECORD``/``PUTMETA`` are proxied like any
  other method instead of writing records, and ``/status`` inside an https
  tunnel is the site's page, not warcprox's status;
- closed files are fsync'ed before they lose their ``.open`` suffix.

When listening it writes ``--ready-file`` (JSON: address, port, pid, ca_cert).
SIGTERM/SIGINT, or the death of the parent process, stop it cleanly: queued
records are written and every ``.open`` file is closed and renamed.

If a WARC file cannot be written (a full disk: proxy_records), the proxy
must not go on passing traffic it cannot record: from that moment every
request is answered 503 by the proxy itself, it shuts down, and it exits
with EXIT_DISK_FULL (ENOSPC, EDQUOT) or EXIT_RECORDING_FAILED (any other
error), which the crawl reads (crawler.capture.proxy).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import signal
import sys
import threading
import warnings

import warcprox
import warcprox.controller
import warcprox.main
import warcprox.writer

from crawler.capture.atomic import write_json
from crawler.capture.dedup import dedup_path
from crawler.capture.diskspace import is_disk_full
from crawler.capture.proxy_policy import Refused, configure_handler
from crawler.capture.proxy_records import DIGEST_ALGORITHM, CaptureWarcWriter, load_warcinfo

log = logging.getLogger("bioarchive.proxy")

RECORDLOG_PLUGIN = "crawler.capture.recordlog.RecordLog"
PR_SET_PDEATHSIG = 1

# Exit codes after a WARC write failure (0: stopped normally, 1: could not start).
EXIT_RECORDING_FAILED = 3
EXIT_DISK_FULL = 4


# --- where things go in the collection ------------------------------------

def state_dir(archive_dir: str) -> str:
    return os.path.join(archive_dir, "state")


def logs_dir(archive_dir: str) -> str:
    return os.path.join(archive_dir, "logs")


def ca_cert_path(archive_dir: str) -> str:
    return os.path.join(state_dir(archive_dir), "warcprox-ca.pem")


def warcprox_argv(args) -> list[str]:
    """warcprox's own command line for our configuration (parsed by warcprox's parser)."""
    state = state_dir(args.archive_dir)
    return [
        "--address", "127.0.0.1",
        "--port", str(args.port),
        "--dir", args.archive_dir,
        "--warc-filename", "{prefix}-{timestamp17}-{serialno}-{randomtoken}",
        "--gzip",
        "--prefix", args.prefix,
        "--size", str(args.rollover_size),
        "--digest-algorithm", DIGEST_ALGORITHM,
        "--base32",
        # The collection's one payload dedup database (our rendered-record writer uses it
        # too); warcprox's own way to switch dedup off is /dev/null.
        "--dedup-db-file", os.devnull if getattr(args, "no_dedup", False) else dedup_path(args.archive_dir),
        # warcprox's statistics processor batches for 30 s or more and sits
        # before the plugins in the chain: it would delay the record index.
        "--stats-db-file", "",
        "--crawl-log-dir", logs_dir(args.archive_dir),
        "--cacert", ca_cert_path(args.archive_dir),
        "--certs-dir", os.path.join(state, "warcprox-ca"),
        "--plugin", RECORDLOG_PLUGIN,
    ]


def build_options(args) -> warcprox.Options:
    parsed = warcprox.main._build_arg_parser(prog="warcprox").parse_args(warcprox_argv(args))
    options = warcprox.Options(**vars(parsed))
    options.bioarchive_warcinfo = load_warcinfo(args.warcinfo)
    return options


# --- controller, ready file, lifecycle ------------------------------------

class CaptureController(warcprox.controller.WarcproxController):
    def __init__(self, options, handler_class, ready_file: str | None):
        super().__init__(options)  # binds the listening socket
        self.proxy.RequestHandlerClass = handler_class
        self.ready_file = ready_file

    @property
    def port(self) -> int:
        return self.proxy.server_address[1]

    def start(self):
        super().start()
        if self.ready_file:
            write_json(self.ready_file, {
                "address": self.proxy.server_address[0],
                "port": self.port,
                "pid": os.getpid(),
                "ca_cert": os.path.abspath(self.options.cacert),
            })
        log.info("recording proxy listening on %s:%s", self.proxy.server_address[0], self.port)


def refusing_when_not_recording(handler: type, stopped: threading.Event) -> type:
    """``handler``, answering 503 instead of proxying once nothing can be recorded any more."""

    class Handler(handler):
        def _connect_to_remote_server(self):
            if stopped.is_set():
                self.send_error(503, "recording stopped: the recording proxy cannot write WARC files")
                raise Refused("recording stopped")
            return super()._connect_to_remote_server()

    Handler.__name__ = Handler.__qualname__ = handler.__name__
    return Handler


def exit_code_after(error: BaseException | None) -> int:
    if error is None:
        return 0
    return EXIT_DISK_FULL if is_disk_full(error) else EXIT_RECORDING_FAILED


def die_with_parent(expected_parent: int | None) -> None:
    """Get SIGTERM when the parent dies (even by SIGKILL), so files get closed; Linux only."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    # The parent may have died before prctl took effect.
    if expected_parent and os.getppid() != expected_parent:
        os.kill(os.getpid(), signal.SIGTERM)


class OneLineFormatter(logging.Formatter):
    def format(self, record):
        return super().format(record).replace("\r", "").replace("\n", " | ")


class BriefFormatter(OneLineFormatter):
    """For the console: the message only; tracebacks stay in logs/warcprox.log."""

    def format(self, record):
        brief = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        message = super().format(brief)
        return message.split(" | Traceback (most recent call last)", 1)[0]


class _LogFile(logging.FileHandler):
    """logs/warcprox.log lives on the collection's disk: when that is full, lines are lost, quietly.

    (The default would print a "--- Logging error ---" traceback to stderr for
    every line, which the crawl relays; the WARNING+ lines still reach stderr.)
    """

    def handleError(self, record):
        if is_disk_full(sys.exc_info()[1]):
            return
        super().handleError(record)


def setup_logging(archive_dir: str) -> None:
    # hanzo's gzip writer triggers a FutureWarning on every Python run; it is not ours to fix.
    warnings.filterwarnings("ignore", message="GzipFile was opened for writing", category=FutureWarning)
    logging.captureWarnings(True)  # any other warning: one log line, not a raw stderr dump
    root = logging.getLogger()
    root.handlers = []
    root.setLevel(logging.INFO)
    to_file = _LogFile(os.path.join(logs_dir(archive_dir), "warcprox.log"), encoding="utf-8")
    to_file.setLevel(logging.INFO)
    to_file.setFormatter(OneLineFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.WARNING)
    # The crawl reads these lines back: "LEVEL [logger] message".
    to_stderr.setFormatter(BriefFormatter("%(levelname)s [%(name)s] %(message)s"))
    root.addHandler(to_file)
    root.addHandler(to_stderr)


def parse_cli(argv=None):
    p = argparse.ArgumentParser(prog="python -m crawler.capture.proxy_server", description=__doc__.split("\n")[0])
    p.add_argument("--archive-dir", required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--rollover-size", type=int, default=1_000_000_000)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ready-file")
    p.add_argument("--warcinfo", help="JSON list of [name, value] for the warcinfo record")
    p.add_argument("--allow-private", action="store_true", help="allow loopback/private targets (tests, demo)")
    p.add_argument("--block-host", action="append", default=[], metavar="SUFFIX")
    p.add_argument("--no-dedup", action="store_true",
                   help="write every payload in full, never a revisit record (a benchmark's baseline)")
    args = p.parse_args(argv)
    args.archive_dir = os.path.abspath(args.archive_dir)
    return args


def main(argv=None) -> int:
    args = parse_cli(argv)
    parent = os.environ.get("BIOARCHIVE_PARENT_PID")
    die_with_parent(int(parent) if parent and parent.isdigit() else None)
    for d in (args.archive_dir, state_dir(args.archive_dir), logs_dir(args.archive_dir)):
        os.makedirs(d, exist_ok=True)
    setup_logging(args.archive_dir)

    # Every writer warcprox creates (one per prefix) is ours.
    warcprox.writer.WarcWriter = CaptureWarcWriter
    recording_stopped = threading.Event()
    failures: list[BaseException] = []
    try:
        options = build_options(args)
        handler = refusing_when_not_recording(configure_handler(args.allow_private, args.block_host),
                                              recording_stopped)
        controller = CaptureController(options, handler, args.ready_file)
    except Exception as e:
        log.error("recording proxy could not start: %s: %s", type(e).__name__, e)
        return 1

    def write_failed(error: BaseException) -> None:  # called by the writer, on its thread
        failures.append(error)
        recording_stopped.set()
        controller.stop.set()

    options.bioarchive_on_write_failure = write_failed  # the writers read it from their options
    signal.signal(signal.SIGTERM, lambda *_: controller.stop.set())
    signal.signal(signal.SIGINT, lambda *_: controller.stop.set())
    controller.run_until_shutdown()  # returns once every record is written and files are renamed
    code = exit_code_after(failures[0] if failures else None)
    # The CRITICAL line of the write failure has said why; this one goes to logs/warcprox.log only.
    log.info("recording proxy stopped" + (f" after a WARC write failure (exit code {code})" if code else ""))
    return code


if __name__ == "__main__":
    code = main()
    logging.shutdown()
    # Idle client keep-alive threads may sit in a 60 s socket timeout; the
    # records are already on disk and the files closed, so do not wait for them.
    os._exit(code)
