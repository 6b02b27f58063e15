"""Session-wide fixtures: one real graph server, one store loaded with the real corpus.

Fixtures other areas should use (keep your own in tests/<area>/conftest.py):
  loaded_store    GraphStore with the whole corpus built once through graph.build.build (documents, provisions,
                  cross-references, penalties, obligations, embeddings). Read-only: do not write to it.
  store           GraphStore on the same database (empty until something requests loaded_store).
  scratch_store   a fresh, empty database on the same server for a test that writes (dropped afterwards).
  graph_server    graph.server.ServerInfo of the local ArcadeDB server (None when NEO4J_URI points at Neo4j).
  yigui_home      the session's YIGUI_HOME (a temporary directory; the CLI run by a test uses it too).

Environment:
  NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD  run against that Neo4j instead of the local ArcadeDB server (contract
                  tests); scratch_store then needs NEO4J_SCRATCH_DATABASE (Enterprise) or skips.
  YIGUI_TEST_HOME keep the server's data in this directory instead of a temporary one.
  YIGUI_TEST_CACHE where embeddings and parsed documents are cached between runs (default <repo>/.yigui/cache;
                  the first run embeds the corpus, ≈4 min on 2 cores, later runs read the cache).
  YIGUI_TEST_EMBED=0 build loaded_store without embeddings (vector tests skip).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_CREATED_HOME: str | None = None
_STARTED = time.time()  # artifacts older than this run are not shown in its summary


def pytest_configure(config):
    """Point YIGUI_HOME (server data, password, API keys) at a private directory before any test imports code
    that reads it, and the caches at a persistent directory so repeated runs do not re-embed the corpus."""
    global _CREATED_HOME
    home = os.environ.get("YIGUI_TEST_HOME")
    if not home:
        home = _CREATED_HOME = tempfile.mkdtemp(prefix="yigui-test-")
    os.environ["YIGUI_HOME"] = home
    cache = os.environ.get("YIGUI_TEST_CACHE") or str(REPO / ".yigui" / "cache")
    os.environ.setdefault("YIGUI_CACHE", cache)
    Path(os.environ["YIGUI_CACHE"]).mkdir(parents=True, exist_ok=True)


def _backend_of(nodeid: str) -> str:
    """Which graph store a test ran on: the Neo4j modules start the local Neo4j 5 server; the rest use the session's
    ArcadeDB server (or NEO4J_URI when set)."""
    if "neo4j" in nodeid.split("::")[0]:
        return "neo4j"
    return "neo4j (NEO4J_URI)" if os.environ.get("NEO4J_URI") else "arcadedb"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Both backends' results side by side at the end of the run (CI's log shows them), with the Neo4j timings the
    tests recorded (test-artifacts/neo4j-*.json)."""
    import json

    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for rep in terminalreporter.stats.get(outcome, []):
            if getattr(rep, "when", "call") != "call" and outcome == "passed":
                continue
            row = counts.setdefault(_backend_of(rep.nodeid), {})
            row[outcome] = row.get(outcome, 0) + 1
    if not counts:
        return
    tr = terminalreporter
    tr.section("graph store backends")
    for backend, row in sorted(counts.items()):
        tr.write_line(f"{backend:>18}: " + ", ".join(f"{v} {k}" for k, v in row.items()))
    for name in ("neo4j-timings.json", "neo4j-journeys.json"):
        f = REPO / "test-artifacts" / name
        if f.exists() and f.stat().st_mtime >= _STARTED:  # written by this run
            tr.write_line(f"{name}: " + json.dumps(json.loads(f.read_text()), ensure_ascii=False))


def pytest_unconfigure(config):
    """Stop the session's server (if one was started) and remove the temporary home."""
    home = os.environ.get("YIGUI_HOME")
    if home and not os.environ.get("NEO4J_URI"):
        try:
            from graph.server import stop_server

            stop_server(Path(home))
        except Exception:  # noqa: BLE001 - best effort at exit; the server would otherwise keep running
            pass
    if _CREATED_HOME:
        shutil.rmtree(_CREATED_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def yigui_home() -> Path:
    return Path(os.environ["YIGUI_HOME"])


@pytest.fixture(scope="session")
def graph_server(yigui_home):
    """The local ArcadeDB server of this session (started once), or None on Neo4j."""
    if os.environ.get("NEO4J_URI"):
        yield None
        return
    from graph.server import ensure_server, stop_server

    info = ensure_server(yigui_home, owner_pid=os.getpid())  # stopped even if this run is killed
    yield info
    stop_server(yigui_home)


@pytest.fixture(scope="session")
def store(graph_server):
    from graph.store import GraphStore

    s = GraphStore.on_server(graph_server) if graph_server is not None else GraphStore.connect()
    s.setup_schema()
    yield s
    s.close()


@pytest.fixture(scope="session")
def loaded_store(store):
    """The real corpus, built once per session through graph.build (the same path as `yigui ingest`)."""
    from graph.build import build

    embed = os.environ.get("YIGUI_TEST_EMBED", "1") != "0"
    report = build(None, store, progress=False, embed=embed, extract=True)
    assert not report.errors, [str(e) for e in report.errors]
    store.build_report = report  # tests may read what the build did
    return store


@pytest.fixture()
def scratch_store(graph_server):
    """An empty database of its own for a test that writes; dropped afterwards."""
    from graph.store import GraphStore

    if graph_server is None:
        name = os.environ.get("NEO4J_SCRATCH_DATABASE")
        if not name:
            pytest.skip("NEO4J_SCRATCH_DATABASE is not set: no throwaway database on this Neo4j server")
        s = GraphStore.connect(database=name)
        s.clear()
        yield s
        s.clear()
        s.close()
        return
    from graph.server import create_database, drop_database

    name = "scratch_" + uuid.uuid4().hex[:10]
    create_database(graph_server, name)
    s = GraphStore.on_server(graph_server, name)
    try:
        yield s
    finally:
        s.close()
        drop_database(graph_server, name)
