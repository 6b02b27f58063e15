"""The import graph keeps its two rules (scripts/import_graph.py): packages point one way, and the CLI, the API and
the app reach the store and the QA pipeline only through ui.core."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_graph_keeps_its_rules():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_graph.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_the_check_catches_a_face_that_goes_around_the_core(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import import_graph as ig
    finally:
        sys.path.pop(0)
    edges = ig.graph()
    assert not ig.violations(edges)
    edges["ui.views.ask"] = edges["ui.views.ask"] | {"qa.service"}
    edges["graph.queries"] = edges["graph.queries"] | {"qa.answer"}
    bad = ig.violations(edges)
    assert any("ui.views.ask imports qa.service" in v for v in bad)
    assert any("graph.queries imports qa.answer" in v and "must not depend" in v for v in bad)
