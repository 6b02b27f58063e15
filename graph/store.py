"""GraphStore: the official neo4j driver over the local ArcadeDB server (default) or Neo4j 5 (NEO4J_URI).

One code path for both backends: Cypher through the driver, UNWIND batches, MERGE on the project's own ids, one
transaction per batch. Only schema DDL differs (graph.dialect).

Loading is made safe to interrupt: a document's nodes and edges are written first and its sha256 marker
(Document.sha256) last, so a document whose load was cut short has no marker and is redone by the next run, which
ends in the same state as one uninterrupted run (every write is a MERGE or a delete of what the file no longer has).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Iterable, Sequence

import neo4j

from graph import dialect as dialects
from ingest.model import LEVEL_RANK, Document, ParsedDocument, Provision
from ingest.settings import settings

log = logging.getLogger(__name__)

DOC_FIELDS = ("instrument", "title", "short_title", "title_en", "level", "issuer", "doc_number", "promulgated",
              "effective", "status", "version", "version_label", "lang", "source", "source_url", "source_file",
              "history", "notes", "current", "translation_of", "missing_articles")
PROV_FIELDS = ("doc_id", "kind", "label", "number", "text", "citation", "citation_en", "path", "parent_id", "order",
               "article", "paragraph", "item", "heading")


class StoreError(RuntimeError):
    """A write to the graph store failed (and was rolled back); the message names the batch and what to do."""


def _doc_props(doc: Document) -> dict:
    data = doc.model_dump()
    props = {k: data.get(k) for k in DOC_FIELDS if k in data}
    props["version_year"] = doc.version_year
    props["incomplete"] = doc.incomplete  # the source lacks articles its numbering implies
    props["rank"] = LEVEL_RANK.get(doc.level, LEVEL_RANK["other"])  # binding rank: registers sort by it
    return props


def _prov_props(p: Provision, doc: Document) -> dict:
    data = p.model_dump()
    props = {k: data.get(k) for k in PROV_FIELDS if k in data}
    props["lang"] = doc.lang
    props["current"] = doc.current
    props["instrument"] = doc.instrument
    return props


class GraphStore:
    """A connection to the graph database with the project's load and schema operations."""

    def __init__(self, driver: neo4j.Driver, *, backend: str, database: str | None, server=None,
                 embedding_dim: int = dialects.EMBEDDING_DIM):
        self.driver = driver
        self.backend = backend  # "arcadedb" | "neo4j"
        self.database = database
        self.server = server  # graph.server.ServerInfo for the local ArcadeDB, else None
        self.dialect = dialects.for_backend(backend, embedding_dim)
        self._schema_ready = False

    # -- connection -------------------------------------------------------------------------------------------
    @classmethod
    def connect(cls, uri: str | None = None, user: str | None = None, password: str | None = None,
                database: str | None = None, *, home=None) -> "GraphStore":
        """NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD (and NEO4J_DATABASE) -> that Neo4j; otherwise the local server of
        YIGUI_DB_BACKEND (ArcadeDB by default, or Neo4j 5), started on demand."""
        cfg = settings()
        uri = uri or cfg.neo4j_uri
        if uri:
            user = user or cfg.neo4j_user
            password = password if password is not None else cfg.neo4j_password
            if password is None:
                raise StoreError("NEO4J_URI is set but NEO4J_PASSWORD is not — set NEO4J_PASSWORD (and NEO4J_USER "
                                 "if not 'neo4j'), or unset NEO4J_URI to use the local ArcadeDB server")
            # notifications off: Neo4j warns about every property key a query names that no node has yet (an empty
            # store, optional fields), and the driver logs each one as a WARNING on stderr
            driver = neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF")
            store = cls(driver, backend="neo4j", database=database or cfg.neo4j_database or None)
            uri_shown = uri
        elif cfg.db_backend == "neo4j":  # the local Neo4j server (graph.neo4j_server), started on demand
            from graph.neo4j_server import ensure_neo4j

            info = ensure_neo4j(home)
            driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password),
                                                notifications_min_severity="OFF")
            store = cls(driver, backend="neo4j", database=info.database)
            uri_shown = info.uri
        else:
            from graph.server import ensure_server

            info = ensure_server(home)
            driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password))
            store = cls(driver, backend="arcadedb", database=info.database, server=info)
            uri_shown = info.uri
        try:
            store.run("RETURN 1 AS ok")
        except neo4j.exceptions.AuthError as e:
            driver.close()
            hint = ("check NEO4J_USER/NEO4J_PASSWORD" if uri else
                    f"the password file under YIGUI_HOME/{cfg.db_backend} no longer matches the database: restore it, "
                    f"or `yigui db stop` and delete YIGUI_HOME/{cfg.db_backend} to start afresh")
            raise StoreError(f"the graph database refused the login ({e.message}) — {hint}") from e
        except neo4j.exceptions.ClientError as e:
            driver.close()
            if e.code != "Neo.ClientError.Security.AuthenticationRateLimit":
                raise
            # Neo4j, after dbms.security.auth_max_failed_attempts (3) wrong passwords in a row
            raise StoreError(f"the graph database refused the login: too many wrong passwords in a row, it waits a "
                             f"few seconds before accepting one again ({e.message}) — check NEO4J_USER/"
                             "NEO4J_PASSWORD") from e
        except neo4j.exceptions.ServiceUnavailable as e:
            driver.close()
            raise StoreError(f"cannot reach the graph database at {uri_shown} ({e}) — "
                             + ("check NEO4J_URI and that the server is up" if uri else "run `yigui db status`")) from e
        return store

    @classmethod
    def on_server(cls, info, database: str | None = None) -> "GraphStore":
        """A store on a running local ArcadeDB server (graph.server.ServerInfo), optionally on another database."""
        import dataclasses

        info = dataclasses.replace(info, database=database or info.database)
        driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password))
        return cls(driver, backend="arcadedb", database=info.database, server=info)

    def close(self) -> None:
        self.driver.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _session(self, read: bool = False):
        kw = {"default_access_mode": neo4j.READ_ACCESS} if read else {}
        return self.driver.session(database=self.database, **kw) if self.database else self.driver.session(**kw)

    # -- Cypher -----------------------------------------------------------------------------------------------
    def run(self, cypher: str, **params) -> list[dict]:
        """Run one statement in its own transaction; rows as plain dicts (nodes become property maps)."""
        with self._session() as s:
            return s.run(cypher, params).data()

    def read(self, cypher: str, **params) -> list[dict]:
        """A read-only statement in a read-mode transaction: on a Neo4j cluster or Aura (a `neo4j://` or
        `neo4j+s://` URI) the driver routes it to a follower or read replica; the server refuses a write in it.
        Auto-commit, like run(): no driver-side retry loop, so an outage reaches the API as a 503 at once instead
        of after the driver's 30 s of retries. Every query of graph.queries and qa reads through here."""
        with self._session(read=True) as s:
            return s.run(cypher, params).data()

    def write_batches(self, cypher: str, rows: Sequence[dict], batch_size: int = 500, *, what: str = "rows") -> int:
        """`UNWIND $rows AS row …` in one transaction per batch; a failing batch is rolled back and raised as a
        StoreError naming the batch (earlier batches stay committed: every load statement is an idempotent MERGE,
        so re-running finishes the job)."""
        rows = list(rows)
        done = 0

        def work(tx, batch):
            tx.run(cypher, {"rows": batch}).consume()

        with self._session() as s:
            for start in range(0, len(rows), batch_size):
                batch = rows[start:start + batch_size]
                n = start // batch_size + 1
                try:
                    s.execute_write(work, batch)  # the driver retries a transient conflict (another writer)
                except neo4j.exceptions.TransientError:
                    raise StoreError(f"batch {n} of {what} kept conflicting with another writer and was rolled "
                                     "back — run the command again") from None
                except Exception as e:
                    first = batch[0].get("id", batch[0]) if batch and isinstance(batch[0], dict) else None
                    msg = getattr(e, "message", None) or str(e)
                    raise StoreError(f"batch {n} of {what} (rows {start + 1}-{start + len(batch)}, first "
                                     f"{first!r}) failed and was rolled back: {msg}") from e
                done += len(batch)
        return done

    def sql(self, command: str) -> dict:
        """ArcadeDB only: one SQL command over its HTTP API (schema DDL)."""
        if self.server is None:
            raise StoreError("SQL commands exist only on the local ArcadeDB backend")
        from graph.server import http_command

        return http_command(self.server, command)

    # -- schema -----------------------------------------------------------------------------------------------
    def setup_schema(self) -> None:
        """Uniqueness on ids, lookup indexes, the CJK full-text index and the 384-d cosine vector index."""
        if self._schema_ready:
            return
        self.dialect.apply(lambda q: self.run(q), self.sql if self.server is not None else None)
        self._schema_ready = True

    def clear(self) -> None:
        """Delete every node and edge (tests, `yigui ingest --rebuild`); the schema stays."""
        while True:
            left = self.run("MATCH (n) WITH n LIMIT 5000 DETACH DELETE n RETURN count(*) AS c")
            if not left or not left[0]["c"]:
                break

    # -- load -------------------------------------------------------------------------------------------------
    def known_hashes(self) -> dict[str, str]:
        """doc id -> sha256 of the file it was fully loaded from (documents whose load finished)."""
        rows = self.run("MATCH (d:Document) WHERE d.sha256 IS NOT NULL RETURN d.id AS id, d.sha256 AS sha")
        return {r["id"]: r["sha"] for r in rows}

    def known_markers(self) -> dict[str, tuple[str, str | None]]:
        """doc id -> (sha256, build key) of finished loads (graph.build skips a document when both match)."""
        rows = self.run("MATCH (d:Document) WHERE d.sha256 IS NOT NULL "
                        "RETURN d.id AS id, d.sha256 AS sha, d.build_key AS key")
        return {r["id"]: (r["sha"], r["key"]) for r in rows}

    def load_documents(self, parsed_docs: list[ParsedDocument], *, mark: bool = True,
                       all_docs: list[ParsedDocument] | None = None, batch_size: int = 500) -> dict:
        """MERGE Documents, Provisions, HAS_PART, TRANSLATION_OF and SUPERSEDES; remove what a changed file no
        longer has. `all_docs` (default: parsed_docs) is every document of this build, for version chains and
        translations that span skipped, unchanged documents. mark=False leaves the sha256 markers to the caller
        (graph.build writes them after cross-references, obligations and embeddings)."""
        self.setup_schema()
        all_docs = all_docs if all_docs is not None else parsed_docs
        counts: dict[str, int] = defaultdict(int)
        # versions already in the store but not in this build (a user ingesting one file) take part in deciding
        # which version is current, in the version chain and in translations
        stored = self._stored_documents(exclude={pd.document.id for pd in all_docs})
        if stored:
            from ingest.versions import assign_versions

            assign_versions(all_docs + stored)
        universe = all_docs + stored
        # every document's node: cheap, and flags such as `current` change when a newer version arrives
        doc_rows = [{"id": pd.document.id, "props": _doc_props(pd.document)} for pd in all_docs]
        doc_rows += [{"id": pd.document.id, "props": {"current": pd.document.current}} for pd in stored]
        self.write_batches("UNWIND $rows AS row MERGE (d:Document {id: row.id}) SET d += row.props", doc_rows,
                           batch_size, what="Document nodes")
        counts["documents"] = len(parsed_docs)
        for pd in parsed_docs:
            doc = pd.document
            ids = [p.id for p in pd.provisions]
            # a changed file: drop the marker first, then provisions it no longer has and its outgoing references
            self.run("MATCH (d:Document {id: $id}) REMOVE d.sha256, d.build_key", id=doc.id)
            self.run("MATCH (p:Provision {doc_id: $doc}) WHERE NOT p.id IN $ids DETACH DELETE p", doc=doc.id, ids=ids)
            self.run("MATCH (p:Provision {doc_id: $doc})-[r:CITES|PENALIZES]->() DELETE r", doc=doc.id)
            rows = [{"id": p.id, "props": _prov_props(p, doc)} for p in pd.provisions]
            self.write_batches("UNWIND $rows AS row MERGE (p:Provision {id: row.id}) SET p += row.props", rows,
                               batch_size, what=f"{doc.id} provisions")
            counts["provisions"] += len(rows)
            for p in pd.provisions:
                counts[f"provisions.{p.kind}"] += 1
            top = [{"src": doc.id, "dst": p.id, "order": p.order} for p in pd.provisions if p.parent_id is None]
            sub = [{"src": p.parent_id, "dst": p.id, "order": p.order} for p in pd.provisions if p.parent_id]
            self.write_batches("UNWIND $rows AS row MATCH (d:Document {id: row.src}) MATCH (p:Provision {id: row.dst}) "
                               "MERGE (d)-[r:HAS_PART]->(p) SET r.order = row.order", top, batch_size,
                               what=f"{doc.id} HAS_PART (document)")
            self.write_batches("UNWIND $rows AS row MATCH (a:Provision {id: row.src}) MATCH (p:Provision {id: row.dst}) "
                               "MERGE (a)-[r:HAS_PART]->(p) SET r.order = row.order", sub, batch_size,
                               what=f"{doc.id} HAS_PART (provision)")
            counts["edges.HAS_PART"] += len(top) + len(sub)
        self._load_versions(universe, counts, batch_size)
        self._load_translations(universe, parsed_docs, counts, batch_size)
        self.refresh_current(universe)
        if mark:
            self.mark_loaded([pd.document for pd in parsed_docs])
        return dict(counts)

    def _load_versions(self, all_docs: list[ParsedDocument], counts, batch_size: int) -> None:
        """SUPERSEDES: each version of an instrument (same language) -> the version before it."""
        by_instrument: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for pd in all_docs:
            by_instrument[(pd.document.instrument, pd.document.lang)].append(pd.document)
        rows = []
        for docs in by_instrument.values():
            docs = sorted(docs, key=lambda d: (d.version or d.effective or d.promulgated or "", d.id))
            rows += [{"src": new.id, "dst": old.id} for old, new in zip(docs, docs[1:])]
        self.write_batches("UNWIND $rows AS row MATCH (a:Document {id: row.src}) MATCH (b:Document {id: row.dst}) "
                           "MERGE (a)-[:SUPERSEDES]->(b)", rows, batch_size, what="SUPERSEDES edges")
        counts["edges.SUPERSEDES"] += len(rows)

    def _load_translations(self, all_docs, parsed_docs, counts, batch_size: int) -> None:
        """TRANSLATION_OF: an English document -> its Chinese original, and each provision -> the same position."""
        by_id = {pd.document.id: pd for pd in all_docs}
        doc_rows, prov_rows = [], []
        for pd in parsed_docs:
            src = pd.document.translation_of
            if pd.document.lang != "en" or not src or src not in by_id:
                continue
            doc_rows.append({"src": pd.document.id, "dst": src})
            zh_ids = {p.id for p in by_id[src].provisions} or {  # a Chinese text loaded by an earlier build
                r["id"] for r in self.run("MATCH (p:Provision {doc_id: $d}) RETURN p.id AS id", d=src)}
            prefix = pd.document.id + "/"
            for p in pd.provisions:
                target = src + "/" + p.id[len(prefix):] if p.id.startswith(prefix) else None
                if target in zh_ids:
                    prov_rows.append({"src": p.id, "dst": target})
        self.write_batches("UNWIND $rows AS row MATCH (a:Document {id: row.src}) MATCH (b:Document {id: row.dst}) "
                           "MERGE (a)-[:TRANSLATION_OF]->(b)", doc_rows, batch_size, what="TRANSLATION_OF documents")
        self.write_batches("UNWIND $rows AS row MATCH (a:Provision {id: row.src}) MATCH (b:Provision {id: row.dst}) "
                           "MERGE (a)-[:TRANSLATION_OF]->(b)", prov_rows, batch_size, what="TRANSLATION_OF provisions")
        counts["edges.TRANSLATION_OF"] += len(doc_rows) + len(prov_rows)

    def _stored_documents(self, exclude: set[str]) -> list[ParsedDocument]:
        """Documents in the store that this build does not carry, as provision-less ParsedDocuments."""
        rows = self.run("MATCH (d:Document) WHERE NOT d.id IN $ids RETURN properties(d) AS d", ids=sorted(exclude))
        out = []
        for r in rows:
            props = {k: v for k, v in r["d"].items() if k in Document.model_fields and v is not None}
            try:
                out.append(ParsedDocument(document=Document(**props), provisions=[]))
            except Exception as e:  # noqa: BLE001 - a node written by another tool: leave it alone, say so
                log.warning("document node %s in the store is not a YiGui document (%s); ignored", props.get("id"), e)
        return out

    def refresh_current(self, docs: Iterable[ParsedDocument]) -> None:
        """Copy each document's `current` flag onto its provisions (denormalised for filtering)."""
        rows = [{"doc": pd.document.id, "current": pd.document.current} for pd in docs]
        self.write_batches("UNWIND $rows AS row MATCH (p:Provision {doc_id: row.doc}) "
                           "WHERE p.current IS NULL OR p.current <> row.current SET p.current = row.current",
                           rows, 50, what="current flags")

    def load_edges(self, rows: Sequence[dict], batch_size: int = 500) -> dict[str, int]:
        """Cross-reference rows from graph.penalties.extract: {type: CITES|PENALIZES, src, dst, dst_label, props}."""
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for r in rows:
            rel = r["type"]
            if rel not in dialects.EDGE_TYPES:
                raise StoreError(f"unknown edge type {rel!r} in edge rows — use one of {', '.join(dialects.EDGE_TYPES)}")
            label = r.get("dst_label", "Provision")
            if label not in ("Provision", "Document"):
                raise StoreError(f"edge target label {label!r} is not Provision or Document")
            groups[(rel, label)].append({"src": r["src"], "dst": r["dst"], "props": r.get("props") or {}})
        counts: dict[str, int] = {}
        for (rel, label), batch in sorted(groups.items()):
            self.write_batches(f"UNWIND $rows AS row MATCH (a:Provision {{id: row.src}}) MATCH (b:{label} {{id: row.dst}}) "
                               f"MERGE (a)-[r:{rel}]->(b) SET r += row.props", batch, batch_size,
                               what=f"{rel} edges to {label}")
            counts[f"edges.{rel}"] = counts.get(f"edges.{rel}", 0) + len(batch)
        return counts

    def set_embeddings(self, vectors: dict[str, Sequence[float]], batch_size: int = 200) -> int:
        """Provision id -> embedding (384-d for the default model) into the vector-indexed property."""
        rows = [{"id": pid, "v": [float(x) for x in vec]} for pid, vec in vectors.items()]
        return self.write_batches("UNWIND $rows AS row MATCH (p:Provision {id: row.id}) SET p.embedding = row.v",
                                  rows, batch_size, what="embeddings")

    def mark_loaded(self, docs: Iterable[Document], build_key: str | None = None) -> None:
        """Write each document's sha256 marker (and the build key of the code that loaded it): the last step."""
        rows = [{"id": d.id, "sha": d.sha256, "key": build_key} for d in docs if d.sha256]
        self.write_batches("UNWIND $rows AS row MATCH (d:Document {id: row.id}) "
                           "SET d.sha256 = row.sha, d.build_key = row.key", rows, 500, what="sha256 markers")

    def bump_generation(self) -> str:
        """A new load generation (after an ingest that changed something): processes serving answers compare it with
        the one their index was built from and rebuild, so a re-ingest is never served stale."""
        import hashlib

        # a fingerprint of what is loaded (every document's content hash and build key): the same texts loaded by
        # the same code give the same generation, so an interrupted load finished later equals a clean one
        markers = sorted((k, *v) for k, v in self.known_markers().items())
        gen = hashlib.sha256(repr(markers).encode()).hexdigest()[:16]
        self.run("MERGE (m:Meta {id: 'load'}) SET m.generation = $g", g=gen)
        return gen

    def generation(self) -> str | None:
        rows = self.read("MATCH (m:Meta {id: 'load'}) RETURN m.generation AS g")
        return rows[0]["g"] if rows else None

    def counts(self) -> dict[str, int]:
        """Nodes per label and edges per type."""
        out: dict[str, int] = {}
        for label in dialects.NODE_LABELS:
            out[label] = self.read(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"]
        for rel in dialects.EDGE_TYPES:
            out[rel] = self.read(f"MATCH ()-[r:{rel}]->() RETURN count(r) AS c")[0]["c"]
        return out
