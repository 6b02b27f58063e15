"""Texts -> graph: parse, load documents and provisions, cross-references, obligations, embeddings.

`yigui ingest` calls build(). Unchanged documents are skipped: a document counts as done only when its sha256
marker (and the build key of the code that loaded it) is in the store, and the marker is written last, after its
provisions, edges, obligations and embeddings. An interrupted build is therefore finished by simply running it
again, and a code change (parser, cross-references, obligation extractor, embedding model) reloads everything.
"""
from __future__ import annotations

import functools
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from graph.store import GraphStore, StoreError
from ingest.model import IngestError

_GRAPH_DIR = Path(__file__).resolve().parent


@dataclass
class BuildReport:
    ingest: object = None  # ingest.pipeline.IngestResult (its .summary() is what `yigui ingest` prints)
    documents: int = 0
    loaded: list[str] = field(default_factory=list)  # document ids (re)loaded this run
    skipped: list[str] = field(default_factory=list)  # unchanged since the last finished load
    provisions: dict[str, int] = field(default_factory=dict)  # by kind, for the loaded documents
    edges: dict[str, int] = field(default_factory=dict)  # written this run, by type
    obligations: int = 0
    terms: int = 0
    embeddings: int = 0
    unresolved_refs: int = 0  # cross-references to instruments or articles not in the corpus
    errors: list = field(default_factory=list)  # ingest.model.IngestError per file that failed
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # nodes per label and edges per type in the store afterwards

    def summary(self) -> dict:
        return {
            "documents": self.documents, "loaded": len(self.loaded), "skipped": len(self.skipped),
            "provisions": self.provisions, "edges": self.edges, "obligations": self.obligations,
            "terms": self.terms, "embeddings": self.embeddings, "unresolved_refs": self.unresolved_refs,
            "errors": len(self.errors), "warnings": len(self.warnings), "timings": self.timings,
            "store": self.counts,
        }


@functools.lru_cache(maxsize=None)
def build_key(embed: bool, extract: bool) -> str:
    """Fingerprint of the code and settings that shape what is loaded: a change means every document reloads.
    Computed once per process: the code that runs is the code that was imported."""
    from ingest.pipeline import code_hash

    h = hashlib.sha256()
    h.update(code_hash().encode())
    files = [_GRAPH_DIR / "store.py", _GRAPH_DIR / "references.py", _GRAPH_DIR / "penalties.py"] + \
        ([_GRAPH_DIR / "embed.py"] if embed else [])
    if extract:
        files += sorted(f for f in (_GRAPH_DIR / "obligations").rglob("*")
                        if f.suffix in (".py", ".yaml", ".json"))  # code, rules and the stage model
    for f in files:
        if f.exists():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    if embed:
        from ingest.settings import settings

        cfg = settings()
        h.update(f"embed:{cfg.embed_backend}:{cfg.embed_model or ''}".encode())
    h.update(f"extract:{extract}".encode())
    return h.hexdigest()[:16]


def _say(progress: bool, msg: str) -> None:
    if progress:
        from rich.console import Console

        Console(stderr=True, highlight=False).print(f"[dim]graph[/dim] {msg}")


def build(paths: list[Path] | None, store: GraphStore, *, progress: bool = True, embed: bool = True,
          extract: bool = True, force: bool = False) -> BuildReport:
    """Parse `paths` (None: the corpus) and load what changed into `store`; see the module docstring."""
    from ingest.pipeline import ingest_paths

    t0 = time.perf_counter()
    rep = BuildReport()
    res = ingest_paths(paths, progress=progress)
    rep.ingest, rep.errors, rep.warnings = res, list(res.errors), list(res.warnings)
    docs = res.documents
    rep.documents = len(docs)
    t_parse = time.perf_counter()

    try:
        _load(rep, docs, store, progress=progress, embed=embed, extract=extract, force=force)
    except StoreError as e:
        # the failing batch was rolled back; documents whose marker is not written are redone by the next run
        err = IngestError("graph store", str(e), "fix the cause and run `yigui ingest` again: documents that "
                          "finished loading are skipped, the rest are redone")
        rep.errors.append(err)
        res.errors.append(err)  # `yigui ingest` prints the ingest result's errors and exits 1
        rep.counts = store.counts()
    rep.timings = {"parse_s": round(t_parse - t0, 2), **rep.timings, "total_s": round(time.perf_counter() - t0, 2)}
    return rep


def _load(rep: BuildReport, docs, store: GraphStore, *, progress: bool, embed: bool, extract: bool,
          force: bool) -> None:
    from graph import penalties

    t_parse = time.perf_counter()
    store.setup_schema()
    key = build_key(embed, extract)
    known = {} if force else store.known_markers()
    changed = [pd for pd in docs if not pd.document.sha256 or known.get(pd.document.id) != (pd.document.sha256, key)]
    rep.loaded = [pd.document.id for pd in changed]
    rep.skipped = [pd.document.id for pd in docs if pd not in changed]
    _say(progress, f"{len(changed)} of {len(docs)} documents to load ({len(rep.skipped)} unchanged)")

    # 1. documents, provisions, HAS_PART, versions, translations (markers left for last)
    # nothing changed: every node, version chain and `current` flag is as the last complete run left it
    counts = store.load_documents(changed, mark=False, all_docs=docs) if changed else {}
    rep.provisions = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("provisions.")}
    rep.edges = {k.split(".", 1)[1]: v for k, v in counts.items() if k.startswith("edges.")}
    t_load = time.perf_counter()

    # 2. cross-references and penalty links: for every document (cheap, MERGEd), so a newly added instrument gets
    # the citations that unchanged documents make to it. Nothing changed: the edges of the last complete run stand
    # (its markers were written after them), so an unchanged re-run of a national folder skips ~40 s here
    if changed:
        xr = penalties.extract(docs)
        rep.unresolved_refs = len(xr.unresolved)
        for k, v in store.load_edges(xr.edges).items():
            rep.edges[k.split(".", 1)[1]] = rep.edges.get(k.split(".", 1)[1], 0) + v
    t_xref = time.perf_counter()

    # 3. obligations and defined terms (obligations engineer's extractor), for the changed documents
    if extract and changed:
        rep.obligations, rep.terms = _obligations(store, changed, rep, progress)
    t_obl = time.perf_counter()

    # 4. embeddings (cached on disk by content hash, so unchanged clauses cost nothing)
    if embed and changed:
        from graph.embed import embed_provisions, retrieval_needs

        _say(progress, "embedding what retrieval reads (cached by content hash)")
        vecs = embed_provisions(retrieval_needs(p for pd in changed for p in pd.provisions), progress=progress,
                                docs={pd.document.id: pd.document for pd in changed})
        rep.embeddings = store.set_embeddings(vecs)
    t_emb = time.perf_counter()

    # 5. markers last: a document interrupted before this point is redone by the next run
    store.mark_loaded([pd.document for pd in changed], build_key=key)
    if changed:
        store.bump_generation()
    rep.counts = store.counts()
    rep.timings = {"load_s": round(t_load - t_parse, 2), "xref_s": round(t_xref - t_load, 2),
                   "obligations_s": round(t_obl - t_xref, 2), "embed_s": round(t_emb - t_obl, 2)}


def _obligations(store: GraphStore, changed, rep: BuildReport, progress: bool) -> tuple[int, int]:
    from graph import obligations as ob

    _say(progress, "extracting obligations")
    result = ob.extract(changed)
    # the load replaces what the changed documents produced last time (new rows first, stale ones removed last)
    ob.load(store, result, doc_ids=[pd.document.id for pd in changed])
    rep.warnings.extend(result.warnings)
    return len(result.obligations), len(result.terms)
