"""Write obligations, actors, stages, regulators and defined terms into the graph store.

MERGE on the project's ids in UNWIND batches; the obligations of every re-extracted document are replaced (so a
clause that no longer yields an obligation leaves none behind), and re-running with the same input changes nothing.
Obligation nodes also carry their actor/stage ids as list properties, so filters need no sub-queries (the same
Cypher runs on ArcadeDB and Neo4j)."""
from __future__ import annotations

from corpus import taxonomy
from graph.obligations.model import ExtractionResult


def _tax_rows(tax) -> list[dict]:
    rows = []
    for eid, e in tax.entries.items():
        al = e.get("aliases") or {}
        props = {"zh": e["zh"], "en": e["en"], "name": e["zh"], "aliases_zh": list(al.get("zh") or []),
                 "aliases_en": list(al.get("en") or []), "broader": list(e.get("broader") or []),
                 "narrower": tax.narrower(eid)}
        if "description" in e:
            props["description_zh"] = e["description"]["zh"]
            props["description_en"] = e["description"]["en"]
        if "level" in e:
            props["level"] = e["level"]
        rows.append({"id": eid, "props": props})
    return rows


def load_taxonomies(store, batch_size: int = 500) -> dict:
    """Actor, Stage and Regulator nodes; SUBCLASS_OF (broader and role overlaps, with the reason); ENFORCES."""
    counts = {}
    for label, tax in (("Actor", taxonomy.actors()), ("Stage", taxonomy.stages()), ("Regulator", taxonomy.regulators())):
        rows = _tax_rows(tax)
        store.write_batches(f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n += row.props", rows,
                            batch_size, what=f"{label} nodes")
        counts[label] = len(rows)
        sub = []
        for eid in tax.ids():
            for b in tax.broader(eid):
                sub.append({"src": eid, "dst": b, "props": {"via": "subclass"}})
            for ov in tax.overlaps(eid) if label == "Actor" else []:
                sub.append({"src": eid, "dst": ov["actor"], "props": {
                    "via": "overlap", "reason_zh": ov.get("reason_zh"), "reason_en": ov.get("reason_en"),
                    "condition": ov.get("condition")}})
        store.write_batches(f"UNWIND $rows AS row MATCH (a:{label} {{id: row.src}}) MATCH (b:{label} {{id: row.dst}}) "
                            "MERGE (a)-[r:SUBCLASS_OF]->(b) SET r += row.props", sub, batch_size,
                            what=f"{label} SUBCLASS_OF edges")
        counts[f"{label}.SUBCLASS_OF"] = len(sub)
    enf = [{"src": rid, "instruments": list(e.get("enforces") or [])}
           for rid, e in taxonomy.regulators().entries.items() if e.get("enforces")]
    store.write_batches("UNWIND $rows AS row MATCH (r:Regulator {id: row.src}) MATCH (d:Document) "
                        "WHERE d.instrument IN row.instruments MERGE (r)-[:ENFORCES]->(d)", enf, batch_size,
                        what="ENFORCES edges")
    return counts


def load(store, result: ExtractionResult, doc_ids: list[str] | None = None, batch_size: int = 500) -> dict:
    """Load one extraction result. doc_ids: the documents that were (re-)extracted (default: those the result
    mentions); their previous obligations and terms are replaced."""
    counts = load_taxonomies(store, batch_size)
    docs = sorted(set(doc_ids or []) | {o.doc_id for o in result.obligations} | {t.doc_id for t in result.terms})
    # upsert first, remove what is stale last: a reader during the load sees each obligation in its old or its new
    # form, never a document with its obligations missing (readers filter on the nodes' actor/stage lists, so the
    # edges rewritten below are never a gap either)
    rows = []
    for o in result.obligations:
        props = o.model_dump(exclude={"stages"})
        props["stage_ids"] = [s.id for s in o.stages]
        props["stage_confidences"] = [s.confidence for s in o.stages]
        rows.append({"id": o.id, "props": props, "provision": o.provision_id})
    store.write_batches("UNWIND $rows AS row MERGE (o:Obligation {id: row.id}) SET o += row.props", rows, batch_size,
                        what="Obligation nodes")
    store.write_batches("UNWIND $rows AS row MATCH (o:Obligation {id: row.id}) MATCH (p:Provision {id: row.provision}) "
                        "MERGE (o)-[:DERIVED_FROM]->(p)", rows, batch_size, what="DERIVED_FROM edges")
    binds = [{"src": o.id, "dst": a} for o in result.obligations for a in o.actors]
    ids = [r["id"] for r in rows]
    store.write_batches("UNWIND $rows AS row MATCH (o:Obligation {id: row.id})-[r:BINDS|AT_STAGE]->() DELETE r",
                        [{"id": i} for i in ids], batch_size, what="old BINDS/AT_STAGE edges")
    store.write_batches("UNWIND $rows AS row MATCH (o:Obligation {id: row.src}) MATCH (a:Actor {id: row.dst}) "
                        "MERGE (o)-[:BINDS]->(a)", binds, batch_size, what="BINDS edges (actors)")
    rbinds = [{"src": o.id, "dst": r} for o in result.obligations for r in o.regulators]
    store.write_batches("UNWIND $rows AS row MATCH (o:Obligation {id: row.src}) MATCH (a:Regulator {id: row.dst}) "
                        "MERGE (o)-[:BINDS]->(a)", rbinds, batch_size, what="BINDS edges (regulators)")
    at = [{"src": o.id, "dst": s.id, "c": s.confidence} for o in result.obligations for s in o.stages]
    store.write_batches("UNWIND $rows AS row MATCH (o:Obligation {id: row.src}) MATCH (s:Stage {id: row.dst}) "
                        "MERGE (o)-[r:AT_STAGE]->(s) SET r.confidence = row.c", at, batch_size, what="AT_STAGE edges")
    terms = [{"id": t.id, "props": t.model_dump(), "provision": t.provision_id} for t in result.terms]
    store.write_batches("UNWIND $rows AS row MERGE (t:Term {id: row.id}) SET t += row.props", terms, batch_size,
                        what="Term nodes")
    store.write_batches("UNWIND $rows AS row MATCH (t:Term {id: row.id}) MATCH (p:Provision {id: row.provision}) "
                        "MERGE (t)-[:DEFINED_IN]->(p)", terms, batch_size, what="DEFINED_IN edges")
    if docs:
        store.run("MATCH (o:Obligation) WHERE o.doc_id IN $docs AND NOT o.id IN $ids DETACH DELETE o", docs=docs,
                  ids=ids)
        store.run("MATCH (o:Obligation)-[:DERIVED_FROM]->(p:Provision) WHERE p.doc_id IN $docs AND NOT o.id IN $ids "
                  "DETACH DELETE o", docs=docs, ids=ids)
        store.run("MATCH (t:Term) WHERE t.doc_id IN $docs AND NOT t.id IN $ids DETACH DELETE t", docs=docs,
                  ids=[t["id"] for t in terms])
    counts.update({"Obligation": len(rows), "BINDS": len(binds) + len(rbinds), "AT_STAGE": len(at),
                   "Term": len(terms)})
    return counts
