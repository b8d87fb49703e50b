#!/usr/bin/env bash
# The demo: start the mock site on loopback, crawl it into a collection, show
# what was captured. Run through `make demo` (which installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."
COLLECTION="${1:-warcs/demo}"
VPY=.venv/bin/python
mkdir -p "$COLLECTION"
SEEDS="$COLLECTION/demo-seeds.txt"
MOCK_LOG="$COLLECTION/mocksite.log"

# Fixed ports keep the demo's URLs stable from one run to the next (the URLs
# name the ports): the second night below, and a later `make demo`, are the
# collection's next nights. DEMO_HTTP_PORT / DEMO_HTTPS_PORT move them.
HTTP_PORT="${DEMO_HTTP_PORT:-18080}"
HTTPS_PORT="${DEMO_HTTPS_PORT:-18443}"
start_mock() {  # $1: which night the mock plays
    rm -f "$COLLECTION/mocksite.ready"
    $VPY -m mocksite --http-port "$HTTP_PORT" --https-port "$HTTPS_PORT" --tls-dir "$COLLECTION/mock-tls" --night "$1" \
        --write-seeds "$SEEDS" > "$COLLECTION/mocksite.ready" 2> "$MOCK_LOG" &
    MOCK_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$COLLECTION/mocksite.ready" ] && return 0
        kill -0 $MOCK_PID 2>/dev/null || { echo "demo: the mock site did not start, see $MOCK_LOG" >&2; exit 1; }
        sleep 0.1
    done
}
MOCK_PID=
stop_mock() {  # idempotent: called after each night and again on exit (set -e: a failed kill would end the demo)
    [ -n "$MOCK_PID" ] || return 0
    kill "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
}
trap stop_mock EXIT

# The nightly crawl, as an operator schedules it; retries of captcha pages
# wait seconds, not minutes, on the loopback mock.
nightly() {
    .venv/bin/scrapy nightly --seeds "$SEEDS" \
        -s ARCHIVE_DIR="$COLLECTION" -s ALLOW_PRIVATE_TARGETS=1 -s UNAVAILABLE_RETRY_DELAY=2 \
        -s CONTACT="demo run of bioarchive" -s LOG_FILE="$COLLECTION/crawl.log" -s LOG_LEVEL=INFO
}

status=0
start_mock 1
$VPY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("Mock site:", r["http_url"], r["https_url"], "(test CA:", r["ca_cert"] + ")")' "$COLLECTION/mocksite.ready"
echo "Night 1: crawling $(grep -c '^http' "$SEEDS") seeds from $SEEDS into $COLLECTION ..."
nightly > "$COLLECTION/night1.txt" || status=$?
head -n 4 "$COLLECTION/night1.txt"
stop_mock

# The mock's second night: a post edited, two deleted, an article gone (404),
# a captcha. The morning report says what happened.
start_mock 2
echo
echo "Night 2: the same seeds, the sites a day later ..."
nightly || status=$?
stop_mock

S="-s ARCHIVE_DIR=$COLLECTION"
echo
.venv/bin/scrapy captures $S
echo
# Evidence: the statements extracted during the crawl, the per-place estimate,
# the researchers' report; then a signed bundle, verified as a legal team would.
.venv/bin/scrapy evidence $S --format csv -o "$COLLECTION/evidence.csv" || status=1
.venv/bin/scrapy estimate $S --format csv -o "$COLLECTION/estimate.csv" || status=1
.venv/bin/scrapy report $S -o "$COLLECTION/report.html" || status=1
.venv/bin/python - "$COLLECTION/estimate.csv" <<'PY' || true
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r.get("share_min")]
print(f"Estimate: {len(rows)} place/biometric rows with a population share, e.g.:")
for r in rows[:5]:
    print(f"  {r['place_name']} {r['biometric']}: {r['total_min']} of {r['population']} = {float(r['share_min']):.1%}")
PY
BUNDLE="$COLLECTION/bundles/demo-$(date -u +%Y%m%dT%H%M%SZ).wacz"  # a new bundle each run, never replaced
mkdir -p "$COLLECTION/bundles"
.venv/bin/scrapy bundle $S -o "$BUNDLE" || status=1
.venv/bin/scrapy verify "$BUNDLE" | tail -n 1 || status=1
echo
echo "WARC files and the CDXJ index:  $COLLECTION/  (crawl log: $COLLECTION/crawl.log)"
echo "The morning's report:           $COLLECTION/reports/latest.txt (and .json)   changes: scrapy changes $S"
echo "Evidence (one row a statement): $COLLECTION/evidence.csv   store: $COLLECTION/state/evidence.sqlite"
echo "Per-place estimate:             $COLLECTION/estimate.csv"
echo "Report for researchers:         $COLLECTION/report.html"
echo "Signed bundle for a legal team: $BUNDLE   (scrapy verify $BUNDLE)"
echo "Replay: .venv/bin/scrapy replay -s ARCHIVE_DIR=$COLLECTION   or   .venv/bin/scrapy replay $BUNDLE"
[ $status -eq 0 ] || echo "demo: something failed (status $status); see $COLLECTION/crawl.log" >&2
exit $status
