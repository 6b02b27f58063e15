"""The query layer used by qa and ui: typed models (graph.models, graph.obligations.model) for documents, clauses
and obligations, JSON-ready dicts for search hits; never driver objects or engine-internal ids.

    q = Queries(GraphStore.connect())
    q.resolve_citation("《数据安全法》第四十五条")   # also 数据安全法第45条, "DSL art 45", "PIPL Article 13(1)"
    q.provision("pipl/art13/p1/i3"); q.neighbourhood("dsl/art45"); q.document_tree("pipl")
    q.fulltext("单独同意", k=10); q.vector(embedding, k=10); q.all_provisions(); q.stats()
"""
from __future__ import annotations

import re
import time
from typing import Sequence

from pydantic import BaseModel

from graph.dialect import EDGE_TYPES, NODE_LABELS, fulltext_query
from graph.models import (CitedByLink, CiteLink, CorpusStats, DocumentItem, DocumentTree, Neighbourhood, PenaltyRef,
                          ProvisionBrief, ProvisionItem, SanctionRef, TreeNode, VersionRef)
from graph.obligations.model import Obligation, ObligationItem, ObligationPage, StageLabel
from graph.store import GraphStore

# what a provision row carries (never the embedding: 384 floats nobody reads)
P_FIELDS = ("id", "doc_id", "kind", "label", "number", "text", "citation", "citation_en", "path", "parent_id", "order",
            "article", "paragraph", "item", "heading", "current", "lang", "instrument")
D_FIELDS = ("id", "instrument", "title", "short_title", "title_en", "level", "issuer", "doc_number", "promulgated",
            "effective", "status", "version", "version_label", "version_year", "lang", "source", "source_url",
            "source_file", "current", "translation_of", "history", "notes", "sha256", "missing_articles", "incomplete")


def _proj(var: str, fields: Sequence[str]) -> str:
    return var + " {" + ", ".join("." + f for f in fields) + "}"


P = _proj("p", P_FIELDS)
BRIEF = ("id", "doc_id", "kind", "citation", "text", "current", "article", "paragraph", "item")


class Queries:
    """Read-only questions asked of the graph."""

    DOC_CACHE_S = 30.0  # document list cached this long: a long-lived app sees a new ingest soon after

    def __init__(self, store: GraphStore):
        self.store = store
        self._docs: dict[str, DocumentItem] | None = None
        self._docs_at = 0.0

    # -- documents --------------------------------------------------------------------------------------------
    def documents(self, refresh: bool = False) -> list[DocumentItem]:
        """Every document (version, language) with its provision count, in id order."""
        if self._docs is None or refresh or time.monotonic() - self._docs_at > self.DOC_CACHE_S:
            rows = self.store.read(f"MATCH (d:Document) RETURN {_proj('d', D_FIELDS)} AS d ORDER BY d.id")
            counts = {r["doc"]: r["n"] for r in self.store.read(
                "MATCH (p:Provision) RETURN p.doc_id AS doc, count(p) AS n")}
            docs = {}
            for r in rows:
                d = r["d"]
                d["provisions"] = counts.get(d["id"], 0)
                docs[d["id"]] = _model(DocumentItem, d)
            self._docs = docs
            self._docs_at = time.monotonic()
        return list(self._docs.values())

    def document(self, doc_id: str) -> DocumentItem | None:
        self.documents()
        d = self._docs.get(doc_id)
        if d is None:
            self.documents(refresh=True)
            d = self._docs.get(doc_id)
        return d

    def _decorate(self, row: dict) -> dict:
        """Add the document's titles and version to a provision row."""
        d = self.document(row.get("doc_id"))
        row.update(doc_title=d and d.title, doc_short_title=d and d.short_title, version=d and d.version,
                   version_year=d and d.version_year, level=d and d.level)
        if row.get("current") is None:
            row["current"] = d.current if d else True
        return row

    def document_tree(self, doc_id: str) -> DocumentTree | None:
        """A document with its provisions nested (章节 paths kept on each node)."""
        doc = self.document(doc_id)
        if doc is None:
            return None
        rows = [r["p"] for r in self.store.read(f"MATCH (p:Provision {{doc_id: $doc}}) RETURN {P} AS p", doc=doc_id)]
        rows.sort(key=lambda r: r.get("order") or 0)
        nodes = {r["id"]: dict(r, children=[]) for r in rows}
        top = []
        for r in rows:
            node = nodes[r["id"]]
            parent = nodes.get(r.get("parent_id") or "")
            (parent["children"] if parent else top).append(node)
        return DocumentTree(document=doc, children=[_model(TreeNode, n) for n in top])

    # -- provisions -------------------------------------------------------------------------------------------
    def provision(self, provision_id: str) -> ProvisionItem | None:
        """One provision with its document title, citation, text, path, children and official English text."""
        rows = self.store.read(
            f"MATCH (p:Provision {{id: $id}}) "
            f"OPTIONAL MATCH (p)-[:HAS_PART]->(c:Provision) "
            f"OPTIONAL MATCH (e:Provision)-[:TRANSLATION_OF]->(p) "
            f"RETURN {P} AS p, collect(DISTINCT {_proj('c', ('id', 'kind', 'label', 'citation', 'text', 'order'))}) "
            f"AS children, collect(DISTINCT {_proj('e', ('id', 'text', 'citation'))}) AS en",
            id=provision_id)
        if not rows or rows[0]["p"] is None:
            return None
        row = self._decorate(rows[0]["p"])
        row["children"] = sorted((c for c in rows[0]["children"] if c and c.get("id")),
                                 key=lambda c: c.get("order") or 0)
        en = [e for e in rows[0]["en"] if e and e.get("id")]
        row["text_en"] = en[0]["text"] if en else None
        row["text_en_id"] = en[0]["id"] if en else None
        if en and not row.get("citation_en"):
            row["citation_en"] = en[0].get("citation")
        return _model(ProvisionItem, row)

    def provisions(self, ids: Sequence[str]) -> list[ProvisionItem]:
        """Several provisions by id (order kept, unknown ids dropped), without children."""
        rows = {r["p"]["id"]: _model(ProvisionItem, self._decorate(r["p"])) for r in
                self.store.read(f"MATCH (p:Provision) WHERE p.id IN $ids RETURN {P} AS p", ids=list(ids))}
        return [rows[i] for i in ids if i in rows]

    def resolve_citation(self, text: str) -> ProvisionItem | None:
        """A citation as people write it -> the provision (current version unless the text names a year), or None.

        《数据安全法》第四十五条 · 数据安全法第45条 · 数安法第四十五条 · "DSL art 45" · "PIPL Article 13(1)" · a provision id."""
        text = (text or "").strip()
        if not text:
            return None
        if re.fullmatch(r"[\w.\-]+(/[\w.\-]+)+", text):
            return self.provision(text)
        from ingest.resolve import parse_citation

        ref = parse_citation(text)
        if ref is None or ref.instrument is None:
            return None
        doc_id = self._pick_version(ref.instrument, ref.title, text)
        if doc_id is None:
            return None
        candidates = [f"{doc_id}/{ref.provision_suffix()}"]
        if ref.item is not None and ref.paragraph is None:
            candidates += [r["id"] for r in self.store.read(
                "MATCH (p:Provision {doc_id: $doc}) WHERE p.article = $a AND p.item = $i AND p.kind = 'item' "
                "RETURN p.id AS id", doc=doc_id, a=ref.article, i=ref.item)]
        for pid in candidates:
            found = self.provision(pid)
            if found is not None:
                return found.model_copy(update={"resolved_from": text})
        return None

    def _pick_version(self, instrument: str, title: str, text: str) -> str | None:
        docs = [d for d in self.documents() if d.instrument == instrument and d.lang == "zh"]
        if not docs:
            return None
        year = re.search(r"(19|20)\d{2}", title or "") or re.search(r"(19|20)\d{2}年", text)
        if year:
            y = year.group(0)[:4]
            hit = [d for d in docs if (d.version_year or "") == y or y in (d.version_label or "") or y in d.id]
            if hit:
                return hit[0].id
        docs.sort(key=lambda d: (bool(d.current), d.version or d.effective or ""), reverse=True)
        return docs[0].id

    def neighbourhood(self, provision_id: str) -> Neighbourhood | None:
        """What surrounds a provision (its sub-clauses included): what it cites, what cites it, the penalty
        provisions that sanction it, what it sanctions, obligations derived from it, its translation, and the same
        position in other versions of the instrument."""
        me = self.provision(provision_id)
        if me is None:
            return None
        brief_t = _proj("t", BRIEF)
        brief_s = _proj("s", BRIEF)
        down = "MATCH (p:Provision {id: $id})-[:HAS_PART*0..4]->(x:Provision) "
        around = ("MATCH (p:Provision {id: $id}) OPTIONAL MATCH (p)<-[:HAS_PART*0..4]-(y:Provision) "
                  "WITH p, collect(y) AS ups OPTIONAL MATCH (p)-[:HAS_PART*0..4]->(z:Provision) "
                  "WITH ups, collect(z) AS downs WITH ups + downs AS scope UNWIND scope AS x ")
        cites = self.store.read(
            down + "MATCH (x)-[r:CITES]->(t) WHERE t.id <> $id AND NOT t.id STARTS WITH $prefix "
            f"RETURN x.id AS via, r.text AS ref, labels(t) AS labels, {brief_t} AS t, t.title AS title",
            id=provision_id, prefix=provision_id + "/")
        cited_by = self.store.read(
            around + "MATCH (s:Provision)-[r:CITES]->(x) WHERE s.id <> $id AND NOT s.id STARTS WITH $prefix "
            f"RETURN DISTINCT x.id AS target, r.text AS ref, {brief_s} AS s",
            id=provision_id, prefix=provision_id + "/")
        penalties = self.store.read(
            around + f"MATCH (s:Provision)-[r:PENALIZES]->(x) RETURN DISTINCT x.id AS target, r.text AS ref, "
            f"r.method AS method, r.score AS score, {brief_s} AS s", id=provision_id)
        sanctions = self.store.read(
            down + f"MATCH (x)-[r:PENALIZES]->(t:Provision) RETURN x.id AS via, r.text AS ref, "
            f"r.method AS method, r.score AS score, {brief_t} AS t",
            id=provision_id)
        obligations = self.store.read(
            down + "MATCH (o:Obligation)-[:DERIVED_FROM]->(x) RETURN DISTINCT properties(o) AS o ORDER BY o.id",
            id=provision_id)
        translation = self.store.read(
            "MATCH (p:Provision {id: $id}) OPTIONAL MATCH (p)-[:TRANSLATION_OF]->(a:Provision) "
            "OPTIONAL MATCH (b:Provision)-[:TRANSLATION_OF]->(p) "
            f"RETURN {_proj('a', BRIEF)} AS zh, {_proj('b', BRIEF)} AS en", id=provision_id)
        versions = self._other_versions(me)

        def rows(model, items, key, extra=()):
            out, seen = [], set()
            for r in items:
                node = r.get(key)
                if not node or not node.get("id") and not r.get("title"):
                    continue
                if "labels" in r and "Document" in (r["labels"] or []):
                    node = {"id": node.get("id"), "kind": "document", "title": r.get("title")}
                k = (node.get("id"), tuple(r.get(e) for e in extra))
                if k in seen:
                    continue
                seen.add(k)
                item = self._decorate(dict(node)) if node.get("kind") != "document" else node
                for e in extra:
                    item[e] = r.get(e)
                item["ref_text"] = r.get("ref")
                out.append(_model(model, item))
            return out

        tr = translation[0] if translation else {}
        translated = next((x for x in (tr.get("en"), tr.get("zh")) if x and x.get("id")), None)
        return Neighbourhood(
            cites=rows(CiteLink, cites, "t", ("via",)),
            cited_by=rows(CitedByLink, cited_by, "s", ("target",)),
            # method: 'explicit' (the penalty clause names the article) or 'inferred' (matched by the conduct it
            # describes; score = similarity) — shown apart so a lawyer can tell a link the text states from one we drew
            penalties=rows(PenaltyRef, penalties, "s", ("target", "method", "score")),
            sanctions=rows(SanctionRef, sanctions, "t", ("via", "method", "score")),
            obligations=[_obligation(r["o"]) for r in obligations],
            translation=_model(ProvisionBrief, translated) if translated else None,
            versions=versions,
        )

    def _other_versions(self, me: ProvisionItem) -> list[VersionRef]:
        doc = self.document(me.doc_id)
        suffix = me.id[len(me.doc_id) + 1:]
        others = [d for d in self.documents() if doc is not None and d.instrument == doc.instrument
                  and d.id != me.doc_id and d.lang == doc.lang]
        if not others:
            return []
        found = {r["p"]["id"]: r["p"] for r in self.store.read(
            f"MATCH (p:Provision) WHERE p.id IN $ids RETURN {_proj('p', BRIEF)} AS p",
            ids=[f"{d.id}/{suffix}" for d in others])}
        out = []
        for d in sorted(others, key=lambda d: d.version or ""):
            p = found.get(f"{d.id}/{suffix}")
            out.append(VersionRef(doc_id=d.id, version=d.version, current=d.current,
                                  provision=_model(ProvisionBrief, p) if p else None,
                                  same_text=bool(p) and p.get("text") == me.text))
        return out

    # -- obligations ------------------------------------------------------------------------------------------
    def obligations(self, **filters) -> list[ObligationItem]:
        """Obligations filtered by actor (broader roles included), stage, modality, document, level, current only;
        an unknown filter value raises ValueError naming the valid ones (graph.obligations.query)."""
        from graph import obligations as ob

        return ob.query(self.store, **filters)

    def obligation_page(self, limit: int = 50, offset: int = 0, **filters) -> ObligationPage:
        """One page of `obligations` with the total and the next offset."""
        from graph import obligations as ob

        return ob.page(self.store, limit=limit, offset=offset, **filters)

    # -- search -----------------------------------------------------------------------------------------------
    def fulltext(self, q: str, k: int = 10, *, current_only: bool = False, kinds: Sequence[str] | None = None,
                 lang: str | None = None) -> list[dict]:
        """Lexical search over provision text through the graph's CJK full-text index (best first)."""
        query = fulltext_query(q)
        if not query:
            return []
        where = _filters(current_only, kinds, lang)
        rows = self.store.read(
            f"CALL db.index.fulltext.queryNodes($index, $q) YIELD node, score WITH node AS p, score {where} "
            f"RETURN {P} AS p, score ORDER BY score DESC, p.id LIMIT $k",
            index=self.store.dialect.fulltext_index, q=query, k=int(k), kinds=list(kinds or []), lang=lang)
        return [dict(self._decorate(r["p"]), score=float(r["score"])) for r in rows]

    def vector(self, embedding: Sequence[float], k: int = 10, *, current_only: bool = False,
               kinds: Sequence[str] | None = None, lang: str | None = None) -> list[dict]:
        """Nearest provisions by embedding through the graph's vector index; score is (1 + cosine) / 2 on both
        backends."""
        where = _filters(current_only, kinds, lang)
        fetch = int(k) * (4 if where else 1)
        rows = self.store.read(
            f"CALL db.index.vector.queryNodes($index, $fetch, $v) YIELD node, score WITH node AS p, score {where} "
            f"RETURN {P} AS p, score ORDER BY score DESC, p.id LIMIT $k",
            index=self.store.dialect.vector_index, fetch=fetch, v=[float(x) for x in embedding], k=int(k),
            kinds=list(kinds or []), lang=lang)
        return [dict(self._decorate(r["p"]), score=float(r["score"])) for r in rows]

    def all_documents(self) -> list:
        """Every document as an ingest.model.Document (for in-process consumers that speak the ingest types)."""
        from ingest.model import Document

        return [_model(Document, d.model_dump()) for d in self.documents(refresh=True)]

    def all_provisions(self, current_only: bool = True, *, kinds: Sequence[str] | None = None,
                       lang: str | None = None, with_embeddings: bool = False, as_models: bool = False) -> list:
        """Every provision (document order), for in-process indexes rebuilt from the store: JSON-ready dicts, or
        ingest.model.Provision objects with as_models=True."""
        if as_models:
            from ingest.model import Provision

            rows = self.all_provisions(current_only, kinds=kinds, lang=lang)
            return [_model(Provision, r) for r in rows]
        where = _filters(current_only, kinds, lang)
        extra = ", p.embedding AS embedding" if with_embeddings else ""
        rows = self.store.read(f"MATCH (p:Provision) WITH p {where} RETURN {P} AS p{extra}",
                              kinds=list(kinds or []), lang=lang)
        out = []
        for r in rows:
            row = self._decorate(r["p"])
            if with_embeddings:
                row["embedding"] = r.get("embedding")
            out.append(row)
        out.sort(key=lambda r: (r["doc_id"], r.get("order") or 0))
        return out

    def stats(self) -> CorpusStats:
        """Corpus statistics: nodes per label, edges per type, provisions per kind, documents per level."""
        counts = self.store.counts()
        kinds = {r["kind"]: r["n"] for r in self.store.read("MATCH (p:Provision) RETURN p.kind AS kind, count(p) AS n")}
        levels: dict[str, int] = {}
        docs = self.documents(refresh=True)
        for d in docs:
            levels[d.level or "other"] = levels.get(d.level or "other", 0) + 1
        return CorpusStats(
            backend=self.store.backend,
            nodes={k: counts[k] for k in NODE_LABELS},
            edges={k: counts[k] for k in EDGE_TYPES},
            provisions_by_kind=dict(sorted(kinds.items())),
            documents_by_level=dict(sorted(levels.items())),
            documents=len(docs),
            current_documents=sum(1 for d in docs if d.current),
        )


def _filters(current_only: bool, kinds, lang) -> str:
    conds = []
    if current_only:
        conds.append("p.current = true")
    if kinds:
        conds.append("p.kind IN $kinds")
    if lang:
        conds.append("p.lang = $lang")
    return ("WHERE " + " AND ".join(conds)) if conds else ""


def _model(cls: type[BaseModel], row: dict):
    """A row as `cls`: its fields only, missing values left to the model's defaults."""
    return cls(**{k: v for k, v in row.items() if k in cls.model_fields and v is not None})


def _obligation(props: dict) -> Obligation:
    """An Obligation node's properties as the extractor's model (stages are stored as parallel id/confidence lists)."""
    stages = [StageLabel(id=i, confidence=c) for i, c in
              zip(props.get("stage_ids") or [], props.get("stage_confidences") or [])]
    return _model(Obligation, {**props, "stages": stages})
