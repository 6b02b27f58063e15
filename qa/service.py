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


def get_retriever(store=None) -> Retriever:
    """The process-wide Retriever (from the graph store when one is given on first call, else the parsed corpus)."""
    global _retriever
    with _lock:
        if _retriever is None:
            from .provider import default_provider

            _retriever = Retriever(default_provider(store))
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


def search(question: str, k: int = 10) -> SearchResponse:
    r = get_retriever()
    t0 = time.perf_counter()
    hits = r.search(question, k=k)
    results = [r.to_result(h) for h in hits]
    return SearchResponse(query=question, results=results, took_ms=round((time.perf_counter() - t0) * 1000, 2))


def ask(question: str, use_llm: bool | None = None) -> AskResponse:
    return get_answerer(use_llm=use_llm).ask(question)
