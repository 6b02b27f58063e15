"""Helpers for the ui tests: serve an app under a real uvicorn, connect to the session's graph server."""
from __future__ import annotations

from urllib.parse import urlparse

import neo4j

from yigui_testing import free_port, serve  # noqa: F401 - re-exported for the ui tests


def bolt_port(store) -> int:
    uri = store.server.uri if getattr(store, "server", None) else store.driver.get_server_info().address
    if isinstance(uri, str):
        return urlparse(uri).port
    return uri[1]


def connect_like(store, port: int | None = None):
    """A new connection to the same graph server as `store` (optionally through a proxy port). The API owns and
    closes it, so the session's shared store stays open."""
    from graph.store import GraphStore

    info = store.server
    uri = info.uri if info else None
    auth = (info.user, info.password) if info else None
    if port is not None:
        uri = f"bolt://127.0.0.1:{port}"
    if uri is None:  # a Neo4j server from NEO4J_URI: reuse its settings
        return GraphStore.connect()
    driver = neo4j.GraphDatabase.driver(uri, auth=auth, connection_timeout=3, max_connection_lifetime=60)
    return GraphStore(driver, backend=store.backend, database=store.database, server=info)
