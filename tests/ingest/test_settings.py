"""One settings object: its environment variables are exactly the README's configuration table, and a bad value
stops with the variable's name."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import settings as cfg

README = Path(__file__).resolve().parents[2] / "README.md"


def _table_vars() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {v for line in table.splitlines() if line.startswith("| `")
            for v in re.findall(r"`((?:YIGUI|NEO4J)_[A-Z0-9_]+)", line.split("|")[1])}


def test_the_readme_table_lists_exactly_the_settings():
    assert _table_vars() == cfg.env_names()


def test_values_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("YIGUI_DB_HEAP", "3g")
    monkeypatch.setenv("YIGUI_PROGRESS", "0")
    monkeypatch.setenv("NEO4J_DATABASE", "regs")
    monkeypatch.setenv("YIGUI_HOME", str(tmp_path))
    monkeypatch.delenv("YIGUI_CACHE", raising=False)
    s = cfg.settings()
    assert (s.db_heap, s.progress, s.neo4j_database) == ("3g", False, "regs")
    assert cfg.cache_dir() == tmp_path.resolve() / "cache"


@pytest.mark.parametrize("var,value", [("YIGUI_API_RATE_LIMIT", "lots"), ("YIGUI_DB_HEAP", "a gigabyte"),
                                       ("YIGUI_EMBED_THREADS", "0")])
def test_a_bad_value_names_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(SystemExit, match=var):
        cfg.settings()
