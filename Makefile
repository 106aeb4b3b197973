# One command for everything CI checks: `make check` installs what the tests need
# (Python packages, Debian's Chromium for the browser tests and poppler-utils' pdftotext for
# the QBR pack's PDF tests), lints, runs every test.
PY ?= python3

.PHONY: install browser check lint test run demo bench

install:
	$(PY) -m pip install -q -r requirements.txt

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "installing Debian's poppler-utils (pdftotext) for the QBR pack tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

lint:
	$(PY) -m ruff check .
	lint-imports --no-cache

test:
	$(PY) -m pytest -q

check: install browser lint test

run: install
	$(PY) -m streamlit run ui/serve.py

demo:
	$(PY) -m gtm demo

bench:
	$(PY) -m gtm bench
