# Two commands: `make run` sets everything up and serves the app; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: install fonts run test lint bench lock clean pwa-version

install: $(PY_STAMP) $(NODE_STAMP) fonts

# Badge fonts for Latin, Greek, Cyrillic, Arabic, Hebrew, Chinese, Japanese and Korean names
# (Debian's Noto packages). Installed when missing and this is root on Debian; otherwise a hint.
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk
fonts: $(PY_STAMP)
	@$(BIN)/enlace fonts >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing badge fonts: $(FONT_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(FONT_PACKAGES) >/dev/null; \
	  else \
	    echo "Badge fonts missing: install $(FONT_PACKAGES) (see .venv/bin/enlace fonts)."; \
	  fi; }

$(PY_STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv pip install --python $(BIN)/python -q --require-hashes -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python -q --no-deps -e .
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: install
	$(BIN)/enlace migrate
	$(BIN)/enlace demo
	@echo "Phones on this Wi-Fi: HOST=0.0.0.0 ENLACE_BASE_URL=http://$$(hostname -I 2>/dev/null | cut -d' ' -f1):8000 make run (online only without https; see README, The app on a phone)"
	$(BIN)/enlace serve

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check api tests bench
	$(BIN)/ruff format --check api tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench

# After editing files under pwa/: give the service worker a new VERSION (a hash of the shell).
pwa-version: $(PY_STAMP)
	$(BIN)/python -m tests.browser.shell_version --write

# Refresh the locks after changing dependencies in pyproject.toml or package.json.
lock: $(PY_STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -q -o requirements.lock
	npm install --package-lock-only --no-audit --no-fund

clean:
	rm -rf $(VENV) node_modules
