"""Helpers for the ui tests: serve an app under a real uvicorn, connect to the session's graph server."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlparse

import neo4j
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@contextlib.contextmanager
def serve(app):
    """Run `app` under uvicorn in a thread on a free 127.0.0.1 port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          lifespan="on"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not t.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(timeout=15)
