# `make test`, `make report` and `make bench` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test report bench install clean

install: $(STAMP)

# pyproject.toml states ranges; constraints.txt pins this repository's exact versions: torch 2.13.0, whose
# CPU build lies on this machine's disk, installed first so that nothing else can pull a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt torch
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,notebook,cluster]'
	touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile  # a worker per core (at most 4); see tests/conftest.py

report: $(STAMP)
	$(PY) -m comparisons sweep --out reports
	$(PY) -m comparisons selftest --out reports
	$(PY) -m comparisons gallery --out reports
	$(PY) -m comparisons lecture --out reports

# The bench's numbers are this machine's, not the project's: a target of its own, not part of the report.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset: a forced core type can slow NumPy several-fold.
bench: $(STAMP)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) -m comparisons bench --out reports

clean:
	rm -rf $(VENV) build *.egg-info
