# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SAMPLE ?= sample_data/gulf_of_finland.nmea.gz
TRUTH  ?= sample_data/gulf_of_finland.truth.json
LABELS ?= sample_data/gulf_of_finland.labels.csv.gz
OUT    ?= out

.PHONY: demo test install dev bench notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files re-run the install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/gnss-watch replay $(SAMPLE) --out $(OUT) --report
	$(BIN)/gnss-watch evaluate --truth $(TRUTH) --labels $(LABELS) --results $(OUT)

test: $(VENV)/.installed-dev
	@# the live MQTT test runs a real local broker (Debian's mosquitto); it skips only if this fails
	command -v mosquitto >/dev/null || (apt-get update -qq && apt-get install -y -qq mosquitto) || true
	$(BIN)/python -m pytest

$(VENV)/.installed-notebooks: pyproject.toml | $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $@

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(OUT) build *.egg-info .pytest_cache
