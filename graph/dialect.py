"""The one place where the two backends differ: schema DDL and index names.

Everything else (MERGE, UNWIND, MATCH, db.index.fulltext.queryNodes, db.index.vector.queryNodes) is the same Cypher
on both. ArcadeDB takes its schema in SQL over its HTTP API (its Cypher has no full-text/vector index DDL with a CJK
analyzer); Neo4j 5 takes Cypher DDL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

NODE_LABELS = ("Document", "Provision", "Obligation", "Actor", "Stage", "Regulator", "Term", "Meta")
EDGE_TYPES = ("HAS_PART", "CITES", "PENALIZES", "DERIVED_FROM", "BINDS", "AT_STAGE", "DEFINED_IN", "SUBCLASS_OF",
              "ENFORCES", "SUPERSEDES", "TRANSLATION_OF")
# non-unique lookups the query layer filters on
LOOKUP_PROPERTIES = (("Provision", "doc_id"), ("Provision", "citation"), ("Document", "instrument"),
                     ("Obligation", "doc_id"), ("Obligation", "provision_id"))
EMBEDDING_DIM = 384


@dataclass
class Dialect:
    name: str
    fulltext_index: str  # name passed to db.index.fulltext.queryNodes
    vector_index: str  # name passed to db.index.vector.queryNodes
    statements: list[str] = field(default_factory=list)
    language: str = "cypher"  # "sql": sent over ArcadeDB's HTTP API

    def apply(self, run_cypher: Callable[[str], object], run_sql: Callable[[str], object] | None) -> None:
        """Create every constraint and index; idempotent (IF NOT EXISTS)."""
        for stmt in self.statements:
            if self.language == "sql":
                if run_sql is None:
                    raise RuntimeError("the ArcadeDB schema needs its HTTP API, which this store was not given")
                run_sql(stmt)
            else:
                run_cypher(stmt)


def arcadedb(dim: int = EMBEDDING_DIM) -> Dialect:
    s: list[str] = []
    for label in NODE_LABELS:
        s += [f"CREATE VERTEX TYPE {label} IF NOT EXISTS",
              f"CREATE PROPERTY {label}.id IF NOT EXISTS STRING",
              f"CREATE INDEX IF NOT EXISTS ON {label} (id) UNIQUE"]
    for edge in EDGE_TYPES:
        s.append(f"CREATE EDGE TYPE {edge} IF NOT EXISTS")
    for label, prop in LOOKUP_PROPERTIES:
        s += [f"CREATE PROPERTY {label}.{prop} IF NOT EXISTS STRING",
              f"CREATE INDEX IF NOT EXISTS ON {label} ({prop}) NOTUNIQUE"]
    s += [
        "CREATE PROPERTY Provision.text IF NOT EXISTS STRING",
        'CREATE INDEX IF NOT EXISTS ON Provision (text) FULL_TEXT METADATA '
        '{"analyzer": "org.apache.lucene.analysis.cjk.CJKAnalyzer"}',
        "CREATE PROPERTY Provision.embedding IF NOT EXISTS ARRAY_OF_FLOATS",
        f'CREATE INDEX IF NOT EXISTS ON Provision (embedding) LSM_VECTOR METADATA '
        f'{{"dimensions": {dim}, "similarity": "COSINE"}}',
    ]
    return Dialect("arcadedb", "Provision[text]", "Provision[embedding]", s, language="sql")


def neo4j(dim: int = EMBEDDING_DIM) -> Dialect:
    s: list[str] = []
    for label in NODE_LABELS:
        s.append(f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE")
    for label, prop in LOOKUP_PROPERTIES:
        s.append(f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})")
    s += [
        "CREATE FULLTEXT INDEX provision_text IF NOT EXISTS FOR (n:Provision) ON EACH [n.text] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
        f"CREATE VECTOR INDEX provision_embedding IF NOT EXISTS FOR (n:Provision) ON n.embedding "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dim}, `vector.similarity_function`: 'cosine'}}}}",
        "CALL db.awaitIndexes(300)",  # Neo4j populates new indexes in the background
    ]
    return Dialect("neo4j", "provision_text", "provision_embedding", s)


def for_backend(name: str, dim: int = EMBEDDING_DIM) -> Dialect:
    return arcadedb(dim) if name == "arcadedb" else neo4j(dim)


def fulltext_query(text: str) -> str:
    """Escape Lucene query syntax so a user's words are searched as words (both backends parse Lucene syntax)."""
    special = set('+-&|!(){}[]^"~*?:\\/')
    escaped = "".join("\\" + c if c in special else c for c in text).strip()
    return re.sub(r"\b(AND|OR|NOT|TO)\b", lambda m: m.group(1).lower(), escaped)  # words, not operators
