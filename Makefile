# The two set-up commands of the README: `make demo` (main job) and `make test` (tests). Both start from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
QUESTION ?= 医院用患者病历训练诊断模型，需要取得患者的单独同意吗？

.PHONY: setup demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed
	bash scripts/system-deps.sh

demo: setup
	$(BIN)/yigui ingest
	$(BIN)/yigui ask "$(QUESTION)"

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	-$(BIN)/yigui db stop
	rm -rf $(VENV) .pytest_cache
