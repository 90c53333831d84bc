# One command each: `make demo` (set up + run t2t's main job on the sandbox), `make test` (set up + all checks).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint setup clean-sandbox mutation

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "t2t needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/t2t demo specs/quickstart.yaml --sandbox .sandbox

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Three workers on two cores: most tests wait on a sandbox's clock or sockets, not the CPU.
# Longest first (tests/conftest.py); a worker that runs out of tests takes half of another's
# queue (pytest-xdist's worksteal), so no quick test waits behind a long one to the end.
test: lint
	$(BIN)/pytest -q -n 3 --dist worksteal

# Mutation testing of t2t/planner and t2t/apply (not part of `make test`): mutmut in a
# throwaway worktree of HEAD; writes tests/bench/results/mutation.json. Some modules only:
# make mutation MODULES="t2t/planner/domain.py t2t/apply/runner.py"
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet 'mutmut==3.8.1'
	$(BIN)/python tests/bench/mutation.py $(MODULES)

clean-sandbox:
	rm -rf .sandbox
