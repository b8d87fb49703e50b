# Two commands do all the set-up on a fresh Debian machine (as root):
#   make demo   install what is missing, start the mock site, crawl it, show the capture
#   make test   install what is missing, run the test suite
# Both are idempotent: a second run installs nothing.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
DEBIAN_PACKAGES := chromium fonts-wqy-microhei
DEMO_DIR ?= warcs/demo
REPLAY_VENV := .venv-replay
VIEWER_DIR := crawler/replay/npm

.PHONY: setup debian venv replay-venv replay-viewer demo test bench clean-demo

setup: debian venv replay-venv replay-viewer

# Debian's Chromium (Playwright cannot download its own browser here) and a
# CJK font, without which every Chinese glyph in a screenshot is a box.
debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	# The project itself, editable, so `scrapy verify` works from any directory.
	$(VPY) -m pip install -q --no-deps -e .
	@touch $@

# pywb for `scrapy replay`, in a venv of its own: pywb 2.10 pins redis 2.10,
# which breaks scrapy-redis.
replay-venv: $(REPLAY_VENV)/.installed

$(REPLAY_VENV)/.installed: requirements-replay.txt
	@test -x $(REPLAY_VENV)/bin/python || $(PYTHON) -m venv $(REPLAY_VENV)
	$(REPLAY_VENV)/bin/python -m pip install -q --upgrade pip
	$(REPLAY_VENV)/bin/python -m pip install -q -r requirements-replay.txt
	@touch $@

# ReplayWeb.page for `scrapy replay FILE.wacz`: npm's package, pinned with its
# lock file; only its prebuilt ui.js and sw.js are served. No install scripts run.
# (The lock holds warcio at 2.4.11, the newest the registry serves, below what
# wabac.js asks for: the prebuilt files never load it from node_modules.)
replay-viewer: $(VIEWER_DIR)/node_modules/.installed

$(VIEWER_DIR)/node_modules/.installed: $(VIEWER_DIR)/package.json $(VIEWER_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "installing Debian packages: nodejs npm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; }
	cd $(VIEWER_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	@bash scripts/demo.sh $(DEMO_DIR)

test: setup
	$(VPY) -m pytest

bench: setup
	$(VPY) benchmarks/capture_speed.py

clean-demo:
	rm -rf $(DEMO_DIR)
