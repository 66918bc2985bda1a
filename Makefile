# One entry point for newcomers and CI. `make train` and `make test` set everything up first:
# a virtual environment in .venv with every local package installed in editable mode.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every local package: the core, each backend, the conformance suite, the third-party example.
PACKAGES := . $(wildcard backends/*) $(wildcard conformance) $(wildcard examples/third_party_backend)
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

# numba kernels are cached in build/numba-cache/<digest of the backend's sources> (_cache.py)
export MPLBACKEND ?= Agg
# Each package's tests run in their own pytest process (each folder has its own conftest.py).
PYTEST_ARGS ?= -q -p no:cacheprovider

.PHONY: setup train lint test test-fast conformance fuzz bench clean

setup: $(STAMP)

$(STAMP): $(PYPROJECTS) requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(addprefix -e ,$(PACKAGES))
	touch $(STAMP)

# The main job: train the digits classifier on the default backend.
train: setup
	$(VENV)/bin/plugtorch train digits --out runs/digits

# Lint, layout and types over every package (`ruff format .` fixes the layout; mypy checks
# the packages pyproject.toml lists, incrementally: seconds once build/mypy-cache exists).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The whole test suite: lint first, then core and doctests, each backend's own tests, the
# conformance suite against every installed backend. The core's tests run on the numpy backend
# wrapped by the contract checker (plugtorch_conformance.contract): a primitive call that breaks
# the backend protocol fails the test that made it.
test: setup lint
	PLUGTORCH_CHECK_CONTRACT=1 $(PY) -m pytest $(PYTEST_ARGS) --doctest-modules src/plugtorch tests
	@for suite in $(wildcard backends/*/tests conformance/tests examples/third_party_backend/tests); do \
		echo "== $$suite"; \
		$(PY) -m pytest $(PYTEST_ARGS) $$suite || exit 1; \
	done
	@$(MAKE) --no-print-directory conformance

conformance: setup
	@if [ -d conformance ]; then \
		for b in $$($(PY) -c "import plugtorch as pt; print(' '.join(i.name for i in pt.list_backends() if i.available))"); do \
			echo "== conformance: $$b"; \
			$(VENV)/bin/plugtorch-conformance --backend $$b || exit 1; \
			if [ "$$b" = numba ]; then \
				echo "== conformance: numba with NUMBA_DISABLE_JIT=1 (kernels run as Python)"; \
				NUMBA_DISABLE_JIT=1 $(VENV)/bin/plugtorch-conformance --backend numba || exit 1; \
			fi; \
		done; \
	fi

# The long fuzzing run (docs/errors.md): bad arguments and edge values on numpy and numba until
# FUZZ_TARGET generated cases, one JSON line per round in build/fuzz.jsonl.
FUZZ_TARGET ?= 1000000
fuzz: setup
	$(PY) scripts/fuzz.py --target $(FUZZ_TARGET)

bench: setup
	$(PY) benchmarks/bench_autograd_overhead.py

clean:
	rm -rf $(VENV) build runs .pytest_cache .hypothesis
