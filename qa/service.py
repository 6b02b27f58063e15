"""One Retriever/Answerer per process, shared by the CLI, the REST API and the app (warm-up happens once)."""
from __future__ import annotations

import threading
import time

from .answer import Answerer
from .retrieve import Retriever
from .schemas import AskResponse, SearchResponse

_lock = threading.Lock()
_retriever: Retriever | None = None
_answerer: Answerer | None = None


class EmptyGraph(RuntimeError):
    """The graph store holds no provisions yet: answers must come from what `yigui ingest` loaded, nothing else."""


def get_retriever(store=None) -> Retriever:
    """The process-wide Retriever over what the graph store holds (connecting to the default store when none is
    given), so a user's own ingested texts are searched exactly like the corpus."""
    global _retriever
    with _lock:
        if _retriever is None:
            from .provider import StoreProvider

            if store is None:
                from graph.store import GraphStore

                store = GraphStore.connect()
            provider = StoreProvider(store)
            if not provider.provisions():
                raise EmptyGraph("the graph store holds no provisions yet: run `yigui ingest` first")
            _retriever = Retriever(provider)
    return _retriever.warm_up()


def get_answerer(store=None, use_llm: bool | None = None) -> Answerer:
    global _answerer
    with _lock:
        if _answerer is None or (use_llm is not None and _answerer.use_llm != use_llm):
            _answerer = Answerer(None, use_llm=use_llm)
            _answerer.retriever = None  # set below, outside the lock (get_retriever takes it)
    if _answerer.retriever is None:
        _answerer.retriever = get_retriever(store)
    return _answerer


def search(question: str, k: int = 10, store=None) -> SearchResponse:
    r = get_retriever(store)
    t0 = time.perf_counter()
    hits = r.search(question, k=k)
    results = [r.to_result(h) for h in hits]
    return SearchResponse(query=question, results=results, took_ms=round((time.perf_counter() - t0) * 1000, 2))


def ask(question: str, use_llm: bool | None = None, store=None) -> AskResponse:
    return get_answerer(store, use_llm=use_llm).ask(question)
