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

# Fixed ports keep the demo's URLs stable from one run to the next (a second
# run is the collection's next night); the mock falls back to free ones if taken.
$VPY -m mocksite --http-port 18080 --https-port 18443 --tls-dir "$COLLECTION/mock-tls" \
    --write-seeds "$SEEDS" > "$COLLECTION/mocksite.ready" 2> "$MOCK_LOG" &
MOCK_PID=$!
trap 'kill $MOCK_PID 2>/dev/null; wait $MOCK_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    [ -s "$COLLECTION/mocksite.ready" ] && break
    kill -0 $MOCK_PID 2>/dev/null || { echo "demo: the mock site did not start, see $MOCK_LOG" >&2; exit 1; }
    sleep 0.1
done
$VPY -c 'import json,sys; r=json.load(open(sys.argv[1])); print("Mock site:", r["http_url"], r["https_url"], "(test CA:", r["ca_cert"] + ")")' "$COLLECTION/mocksite.ready"
echo "Crawling $(grep -c '^http' "$SEEDS") seeds from $SEEDS into $COLLECTION ..."

status=0
.venv/bin/scrapy crawl archive -a seeds="$SEEDS" \
    -s ARCHIVE_DIR="$COLLECTION" -s ALLOW_PRIVATE_TARGETS=1 \
    -s CONTACT="demo run of bioarchive" -s LOG_FILE="$COLLECTION/crawl.log" -s LOG_LEVEL=INFO || status=$?

echo
.venv/bin/scrapy captures -s ARCHIVE_DIR="$COLLECTION"
echo
echo "WARC files and the CDXJ index are in $COLLECTION/ ; the crawl log is $COLLECTION/crawl.log"
echo "Open a record:  .venv/bin/warcio index $COLLECTION/*.warc.gz | head"
[ $status -eq 0 ] || echo "demo: the crawl exited with status $status (see $COLLECTION/crawl.log)" >&2
exit $status
