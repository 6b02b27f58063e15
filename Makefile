# The two set-up commands of the README: `make demo` (main job) and `make test` (tests). Both start from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
QUESTION ?= 医院用患者病历训练诊断模型，需要取得患者的单独同意吗？

.PHONY: setup demo test bench clean neo4j-launcher

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# the product alone (what `make demo` needs): no torch, no test tools
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# the product plus the test suite's tools (torch for the sentence-transformers backend test, schemathesis, ...)
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed-runtime $@

setup: $(VENV)/.installed
	bash scripts/system-deps.sh

demo: $(VENV)/.installed-runtime
	$(BIN)/yigui ingest
	$(BIN)/yigui ask "$(QUESTION)"

test: setup
	$(BIN)/python -m pytest -q

# the local Neo4j 5 server's launcher (graph/neo4j, Maven; Java 17+): built once, also on first use by graph.neo4j_server
neo4j-launcher: $(VENV)/.installed-runtime
	$(BIN)/python -m graph.neo4j_server build

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	-$(BIN)/yigui db stop
	rm -rf $(VENV) .pytest_cache
