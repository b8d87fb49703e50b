# Two commands do all the set-up on a fresh Debian machine (as root):
#   make demo   install what is missing, start the mock site, crawl it, show the capture
#   make test   install what is missing, run the test suite
# Both are idempotent: a second run installs nothing.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
DEBIAN_PACKAGES := chromium fonts-wqy-microhei
DEMO_DIR ?= warcs/demo

.PHONY: setup debian venv demo test bench clean-demo

setup: debian venv

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

$(VENV)/.installed: requirements.txt
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	@touch $@

demo: setup
	@bash scripts/demo.sh $(DEMO_DIR)

test: setup
	$(VPY) -m pytest

bench: setup
	$(VPY) benchmarks/capture_speed.py

clean-demo:
	rm -rf $(DEMO_DIR)
