"""Fixtures for the graph tests: throwaway databases and a state snapshot to compare stores by content."""
from __future__ import annotations

import json
import os
import uuid

import pytest

import corpus


@pytest.fixture()
def make_scratch(graph_server):
    """Factory of empty throwaway databases on the session server (all dropped after the test)."""
    if graph_server is None:
        pytest.skip("throwaway databases need the local ArcadeDB server")
    from graph.server import create_database, drop_database
    from graph.store import GraphStore

    made = []

    def make():
        name = "scratch_" + uuid.uuid4().hex[:10]
        create_database(graph_server, name)
        s = GraphStore.on_server(graph_server, name)
        made.append((name, s))
        return s

    yield make
    for name, s in made:
        s.close()
        drop_database(graph_server, name)


def snapshot(store) -> tuple[list, list]:
    """Every node (labels, properties) and edge (type, ends, properties) by the project's ids, sorted."""
    nodes = sorted(
        (tuple(sorted(r["l"])), json.dumps({k: v for k, v in r["p"].items() if k != "embedding"}, sort_keys=True,
                                           ensure_ascii=False))
        for r in store.run("MATCH (n) RETURN labels(n) AS l, properties(n) AS p"))
    edges = sorted(
        (r["t"], r["a"], r["b"], json.dumps(r["p"] or {}, sort_keys=True, ensure_ascii=False))
        for r in store.run("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS a, b.id AS b, properties(r) AS p"))
    return nodes, edges


@pytest.fixture(scope="session")
def snap():
    """The snapshot function, for comparing two stores by content."""
    return snapshot


@pytest.fixture(scope="session")
def small_corpus():
    """Five files that exercise versions, a translation, cross-references and penalties."""
    root = corpus.corpus_dir()
    files = [root / "zh" / f for f in ("dsl.md", "pipl.md", "mdsr-2021.md", "mdsr-2024.md")] + [root / "en" / "pipl.md"]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"corpus files missing: {missing} (set YIGUI_CORPUS)")
    return files
