"""Fixtures for the ui tests: the REST API served by a real uvicorn on a free loopback port, over the real store."""
from __future__ import annotations

import httpx
import pytest
from ui_support import connect_like, serve

from ui.api import ApiSettings, create_app
from ui.core import Backend
from ui.apikeys import KeyStore


@pytest.fixture(scope="session")
def keystore(tmp_path_factory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("yigui-home") / "apikeys.json")


@pytest.fixture(scope="session")
def api_key(keystore) -> str:
    return keystore.create("tests")[1]


@pytest.fixture(scope="session")
def shared_backend(loaded_store) -> Backend:
    """One API backend (store connection, retriever, answerer) for the whole session: the answerer is costly."""
    backend = Backend(connect=lambda: connect_like(loaded_store))
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def api(shared_backend, keystore, api_key):
    """(base_url, key) of the API over the real loaded store, with generous limits."""
    app = create_app(backend=shared_backend, keys=keystore, settings=ApiSettings(rate_limit=10_000))
    with serve(app) as url:
        yield url, api_key


@pytest.fixture()
def client(api):
    url, key = api
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as c:
        yield c
