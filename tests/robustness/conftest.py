"""Fixtures for the robustness tests: the real API on a loopback port over the real loaded store, and a recorder of
every Cypher statement sent through the neo4j driver (to prove user text reaches the store only as parameters)."""
from __future__ import annotations

import threading

import neo4j
import pytest

from ui.api import ApiSettings, create_app
from ui.core import Backend
from ui.apikeys import KeyStore
from yigui_testing import serve


def new_connection(store):
    """A second connection to the server behind `store`; the API owns and closes it."""
    from graph.store import GraphStore

    info = store.server
    if info is None:  # Neo4j from NEO4J_URI
        return GraphStore.connect()
    driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password), connection_timeout=5)
    return GraphStore(driver, backend=store.backend, database=store.database, server=info)


@pytest.fixture(scope="session")
def robust_keys(tmp_path_factory) -> tuple[KeyStore, str]:
    ks = KeyStore(tmp_path_factory.mktemp("robust-keys") / "apikeys.json")
    return ks, ks.create("robustness")[1]


@pytest.fixture(scope="session")
def robust_api(loaded_store, robust_keys):
    """(base_url, key) of the API over the loaded store; limits as shipped but the rate and failed-auth limits."""
    keys, key = robust_keys
    backend = Backend(connect=lambda: new_connection(loaded_store))
    # limits lifted: schemathesis sends thousands of requests, hundreds without a valid key (ignored_auth check)
    app = create_app(backend=backend, keys=keys, settings=ApiSettings(rate_limit=1_000_000, auth_failures=1_000_000))
    with serve(app) as url:
        yield url, key


class QueryRecorder:
    """Every query text given to Session.run / Transaction.run while active (parameters kept apart)."""

    def __init__(self):
        self.queries: list[str] = []
        self.params: list[dict] = []
        self._lock = threading.Lock()

    def wrap(self, original):
        recorder = self

        def run(self_, query, parameters=None, **kwargs):
            text = query.text if hasattr(query, "text") else str(query)
            with recorder._lock:
                recorder.queries.append(text)
                recorder.params.append(dict(parameters or {}, **kwargs))
            return original(self_, query, parameters, **kwargs)

        return run


@pytest.fixture()
def query_recorder(monkeypatch) -> QueryRecorder:
    rec = QueryRecorder()
    for cls in (neo4j.Session, neo4j.Transaction, neo4j.ManagedTransaction):
        monkeypatch.setattr(cls, "run", rec.wrap(cls.run))
    return rec
