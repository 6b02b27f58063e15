"""Where qa gets its documents and provisions: the graph store when one is given, else a fresh parse of the corpus.

Both give the same ingest types (Document, Provision), so retrieval and answers do not care which one is behind them;
the fingerprint (a hash of every provision id and text) keys the on-disk index cache, so a changed corpus rebuilds.
"""
from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path
from typing import Protocol

from ingest.model import Document, ParsedDocument, Provision


class Provider(Protocol):
    def documents(self) -> list[Document]: ...

    def provisions(self) -> list[Provision]: ...

    def fingerprint(self) -> str: ...


def _fingerprint(provs: list[Provision], docs: list[Document]) -> str:
    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.id):
        h.update(f"{d.id}|{d.current}|{d.status}|{d.short_title}\n".encode())
    for p in sorted(provs, key=lambda p: p.id):
        h.update(p.id.encode())
        h.update(b"\x1f")
        h.update(p.text.encode())
        h.update(b"\x1e")
    return h.hexdigest()[:20]


class IngestProvider:
    """Parses the corpus (or the given files/folders) in process: ~0.3 s for the shared corpus."""

    def __init__(self, paths: list[str | Path] | None = None):
        self.paths = paths

    @cached_property
    def parsed(self) -> list[ParsedDocument]:
        from ingest.pipeline import ingest_paths  # the full pipeline (versions, registry, warnings)

        return list(ingest_paths(self.paths, progress=False).documents)

    def documents(self) -> list[Document]:
        return [pd.document for pd in self.parsed]

    def provisions(self) -> list[Provision]:
        return [p for pd in self.parsed for p in pd.provisions]

    def fingerprint(self) -> str:
        return _fingerprint(self.provisions(), self.documents())

    def graph(self):
        """No store, no graph: parsed texts only (bench baselines); the graph routes then add nothing."""
        from .graphctx import GraphContext

        return GraphContext()


class StoreProvider:
    """Reads documents and provisions from the graph store through graph.queries (one query each, cached)."""

    def __init__(self, store):
        from graph.queries import Queries

        self.q = Queries(store)

    @cached_property
    def _docs(self) -> list[Document]:
        return list(self.q.all_documents())

    @cached_property
    def _provs(self) -> list[Provision]:
        return list(self.q.all_provisions(current_only=False, as_models=True))  # every version, as ingest types

    def documents(self) -> list[Document]:
        return self._docs

    def provisions(self) -> list[Provision]:
        return self._provs

    def fingerprint(self) -> str:
        return _fingerprint(self._provs, self._docs)

    def embeddings(self) -> dict[str, list[float]]:
        """Provision id -> the vector ingest stored (graph.embed.provision_text), read once per index build."""
        rows = self.q.store.read("MATCH (p:Provision) WHERE p.embedding IS NOT NULL RETURN p.id AS id, p.embedding AS v")
        return {r["id"]: r["v"] for r in rows}

    def graph(self):
        from .graphctx import load_context

        return load_context(self.q.store)


def default_provider(store=None) -> Provider:
    return StoreProvider(store) if store is not None else IngestProvider()
