"""Connection settings: errors a user can meet name the setting and what to do."""
from __future__ import annotations

import socket

import pytest

from graph import dialect
from graph.store import GraphStore, StoreError


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_neo4j_uri_without_password(monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "bolt://127.0.0.1:7687")
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(StoreError, match="NEO4J_PASSWORD"):
        GraphStore.connect()


def test_unreachable_neo4j_names_the_uri(monkeypatch):
    uri = f"bolt://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_PASSWORD", "x")
    with pytest.raises(StoreError) as e:
        GraphStore.connect()
    assert uri in str(e.value) and "NEO4J_URI" in str(e.value)


def test_wrong_password_is_a_clear_login_error(graph_server):
    if graph_server is None:
        pytest.skip("local server only")
    with pytest.raises(StoreError, match="refused the login"):
        GraphStore.connect(uri=graph_server.uri, user=graph_server.user, password="wrong-password",
                           database=graph_server.database)


def test_connect_defaults_to_the_local_server(graph_server, monkeypatch):
    if graph_server is None:
        pytest.skip("local server only")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    s = GraphStore.connect()  # YIGUI_HOME is the session's: the running session server is found, not a new one
    try:
        assert s.backend == "arcadedb" and s.server.pid == graph_server.pid
        assert s.run("RETURN 1 AS one") == [{"one": 1}]
    finally:
        s.close()


def test_dialects_differ_only_in_index_ddl_and_names():
    a, n = dialect.arcadedb(), dialect.neo4j()
    assert (a.fulltext_index, a.vector_index) == ("Provision[text]", "Provision[embedding]")
    assert (n.fulltext_index, n.vector_index) == ("provision_text", "provision_embedding")
    assert any("CJKAnalyzer" in x for x in a.statements) and any("'cjk'" in x for x in n.statements)
    assert any('"dimensions": 384' in x and "COSINE" in x for x in a.statements)
    assert any("`vector.dimensions`: 384" in x and "'cosine'" in x for x in n.statements)
    for label in dialect.NODE_LABELS:
        assert any(f"ON {label} (id) UNIQUE" in x for x in a.statements)
        assert any(f"FOR (n:{label}) REQUIRE n.id IS UNIQUE" in x for x in n.statements)


def test_fulltext_query_escapes_lucene_syntax():
    assert dialect.fulltext_query('个人信息 AND (同意') == "个人信息 and \\(同意"
    assert dialect.fulltext_query('"单独同意"~2') == '\\"单独同意\\"\\~2'
