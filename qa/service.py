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
_generation: str | None = None
_checked_at = 0.0
GENERATION_CHECK_S = 2.0  # how often a serving process asks the store whether a re-ingest happened


class EmptyGraph(RuntimeError):
    """The graph store holds no provisions yet: answers must come from what `yigui ingest` loaded, nothing else."""


def _build(store) -> Retriever:
    from .provider import StoreProvider

    provider = StoreProvider(store)
    if not provider.provisions():
        raise EmptyGraph("the graph store holds no provisions yet: run `yigui ingest` first")
    return Retriever(provider).warm_up()


def get_retriever(store=None) -> Retriever:
    """The process-wide Retriever over what the graph store holds (connecting to the default store when none is
    given), so a user's own ingested texts are searched exactly like the corpus. Every GENERATION_CHECK_S it asks the
    store for its load generation; after a re-ingest (another process's included) the index is rebuilt before the
    next answer, so a serving API or app never answers from a stale index."""
    global _retriever, _generation, _checked_at
    with _lock:
        now = time.monotonic()
        if _retriever is not None and now - _checked_at < GENERATION_CHECK_S:
            return _retriever
        if store is None:
            store = _retriever.provider.q.store if _retriever is not None else None
        if store is None:
            from graph.store import GraphStore

            store = GraphStore.connect()
        try:
            gen = store.generation()
        except Exception:  # noqa: BLE001 - store unreachable: keep answering from the index already built
            if _retriever is not None:
                _checked_at = now
                return _retriever
            raise
        _checked_at = now
        if _retriever is None or gen != _generation:
            _retriever = _build(store)
            _generation = gen
            if _answerer is not None:
                _answerer.retriever = _retriever
        return _retriever


def get_answerer(store=None, use_llm: bool | None = None) -> Answerer:
    global _answerer
    r = get_retriever(store)
    with _lock:
        if _answerer is None or (use_llm is not None and _answerer.use_llm != use_llm):
            _answerer = Answerer(r, use_llm=use_llm)
        _answerer.retriever = r
    return _answerer


def search_with(retriever: Retriever, question: str, k: int = 10, as_of: str | None = None) -> SearchResponse:
    """The retriever's hits as the public SearchResponse (CLI `yigui search --json`, `GET /v1/search`, the app);
    `as_of` searches the versions in force on that date (ValueError names a malformed date)."""
    if not question or not question.strip():
        raise ValueError("the query is empty: give a question or keywords")
    t0 = time.perf_counter()
    qa = retriever.analyse(question, as_of)
    hits = retriever.search(question, k=k, qa=qa)
    st = retriever.standing(qa.as_of)
    results = [retriever.to_result(h, st) for h in hits]
    not_yet = [retriever.docs[d].title for d in retriever.not_yet_matches(qa)]
    return SearchResponse(query=question, results=results, took_ms=round((time.perf_counter() - t0) * 1000, 2),
                          as_of=qa.as_of, not_yet=not_yet)


def search(question: str, k: int = 10, store=None, as_of: str | None = None) -> SearchResponse:
    if not question or not question.strip():
        raise ValueError("the query is empty: give a question or keywords")
    return search_with(get_retriever(store), question, k, as_of)


def reset() -> None:
    """Forget this process's index and answerer (a host that switches to another store builds afresh)."""
    global _retriever, _answerer, _generation, _checked_at
    with _lock:
        _retriever = _answerer = _generation = None
        _checked_at = 0.0


def generation() -> str | None:
    """The store load generation this process's index was built from (None before the first build)."""
    return _generation


def is_ready() -> bool:
    """Whether this process has built its retrieval index (a question is answered without the warm-up wait)."""
    return _retriever is not None


def ask(question: str, use_llm: bool | None = None, store=None, as_of: str | None = None) -> AskResponse:
    return get_answerer(store, use_llm=use_llm).ask(question, as_of=as_of)
