"""The store contract tests (test_graph_store.py, test_graph_queries.py) on the local Neo4j 5 server the project
starts itself (graph.neo4j_server), in the same pytest run as the ArcadeDB ones and without NEO4J_URI.

The very test functions of those modules are collected here a second time, with this module's fixtures in place
of the session's ArcadeDB ones: `store`/`loaded_store` on a launched Neo4j server (the whole corpus built through
graph.build, as on ArcadeDB), `scratch_store`/`make_scratch` on launched servers of their own, emptied (data and
schema) for each use — Neo4j Community has one user database per server, so each throwaway database is a server.

Against an external Neo4j instead: `eval "$(python -m graph.neo4j_server env)"` (or any NEO4J_URI/NEO4J_PASSWORD),
then run tests/graph/test_graph_queries.py as usual (tests/conftest.py honours NEO4J_URI).
"""
from __future__ import annotations

import os
import time

import pytest

import test_graph_queries as _queries
import test_graph_store as _store
import test_neo4j_server as srv

# Neo4j's own versions are below; these need the ArcadeDB server or an env-only skip
_NOT_HERE = {"test_neo4j_indexes"}
# store tests first: in definition order, they use the main server before the corpus is loaded into it
for _mod in (_store, _queries):
    for _name, _obj in list(vars(_mod).items()):
        if _name.startswith("test_") and callable(_obj) and _name not in _NOT_HERE:
            globals()[_name] = _obj
q = _queries.q  # the module fixture over loaded_store

_LOADED: list[str] = []  # "main" once the corpus is in it: scratch databases go elsewhere then


def _connect(info):
    from graph.store import GraphStore

    return GraphStore.connect(info.uri, info.user, info.password)


def _empty(s) -> None:
    """Like a new database: no nodes, no constraints, no indexes but Neo4j's own token lookups."""
    s.clear()
    for r in s.run("SHOW CONSTRAINTS YIELD name RETURN name"):
        s.run(f"DROP CONSTRAINT `{r['name']}` IF EXISTS")
    for r in s.run("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
        s.run(f"DROP INDEX `{r['name']}` IF EXISTS")


@pytest.fixture(scope="module")
def graph_server():
    return None  # not the ArcadeDB server


@pytest.fixture(scope="module")
def store():
    s = _connect(srv.launched("main"))
    yield s
    s.close()


@pytest.fixture(scope="module")
def loaded_store(store):
    from graph.build import build

    _empty(store)
    _LOADED.append("main")
    embed = os.environ.get("YIGUI_TEST_EMBED", "1") != "0"
    t0 = time.monotonic()
    report = build(None, store, progress=False, embed=embed, extract=True)
    srv._record("corpus_build_seconds", round(time.monotonic() - t0, 1))
    assert not report.errors, [str(e) for e in report.errors]
    store.build_report = report
    return store


@pytest.fixture()
def make_scratch():
    made = []

    def make():
        names = [n for n in ("main", "scratch1", "scratch2", "scratch3") if n not in _LOADED]
        s = _connect(srv.launched(names[len(made)], heap="512m"))
        _empty(s)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@pytest.fixture()
def scratch_store(make_scratch):
    return make_scratch()


@pytest.mark.neo4j
def test_neo4j_indexes(loaded_store):
    idx = {r["name"]: r for r in loaded_store.run("SHOW INDEXES YIELD name, type, state, options "
                                                  "RETURN name, type, state, options")}
    assert idx["provision_text"]["type"] == "FULLTEXT"
    assert idx["provision_text"]["options"]["indexConfig"]["fulltext.analyzer"] == "cjk"
    assert idx["provision_embedding"]["type"] == "VECTOR"
    cfg = idx["provision_embedding"]["options"]["indexConfig"]
    assert cfg["vector.dimensions"] == 384 and cfg["vector.similarity_function"].lower() == "cosine"
    assert {r["state"] for r in idx.values()} == {"ONLINE"}
    uniq = {r["name"] for r in loaded_store.run("SHOW CONSTRAINTS YIELD name, type WHERE type = 'UNIQUENESS' "
                                                "RETURN name")}
    assert {"provision_id", "document_id", "obligation_id"} <= uniq


@pytest.mark.neo4j
def test_neo4j_schema_from_nothing_and_cjk_search(scratch_store):
    from graph.queries import Queries

    scratch_store.setup_schema()
    scratch_store._schema_ready = False
    scratch_store.setup_schema()  # idempotent: IF NOT EXISTS
    scratch_store.run("CREATE (:Provision {id: 't/art1', text: '个人信息处理者应当取得个人的单独同意', kind: 'article'})")
    scratch_store.run("CREATE (:Provision {id: 't/art2', text: '网络运营者应当制定网络安全事件应急预案', kind: 'article'})")
    assert [r["id"] for r in Queries(scratch_store).fulltext("单独同意", 5)] == ["t/art1"]
    scratch_store.set_embeddings({"t/art1": [1.0] + [0.0] * 383, "t/art2": [0.0, 1.0] + [0.0] * 382})
    hits = Queries(scratch_store).vector([1.0, 0.1] + [0.0] * 382, 2)
    assert [h["id"] for h in hits] == ["t/art1", "t/art2"] and 0.99 < hits[0]["score"] <= 1.0
    # (1 + cosine) / 2, as on ArcadeDB; approximately: Neo4j 5.26 quantizes indexed vectors by default
    assert hits[1]["score"] == pytest.approx((1 + 0.1 / (1.01 ** 0.5)) / 2, abs=1e-2)


def test_reads_run_in_read_transactions(store):
    """GraphStore.read is what lets a cluster route queries to followers: Neo4j itself refuses a write in it."""
    import neo4j

    with pytest.raises(neo4j.exceptions.ClientError, match="(?i)read"):
        store.read("CREATE (:ReadProbe {id: 'x'})")
    assert store.read("MATCH (n:ReadProbe) RETURN count(n) AS c") == [{"c": 0}]
