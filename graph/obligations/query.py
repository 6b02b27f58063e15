"""Obligations that apply to a role, at a stage, of a kind, in a document — with the reason each one applies.

"All obligations that apply to role X" = those binding X directly, plus those binding a role X inherits: a broader
role (X is a kind of Y) or a role overlap (a medical institution processing patient data is also a personal
information processor); each inherited row says why in `inherited_via`."""
from __future__ import annotations

from corpus import taxonomy

MODALITIES = ("obligation", "prohibition", "permission", "right")


def resolve_actor(value: str) -> str:
    """Actor id from an id, Chinese or English name or alias; raises ValueError naming close matches."""
    return taxonomy.actors().resolve(value)


def resolve_stage(value: str) -> str:
    return taxonomy.stages().resolve(value)


def actor_targets(actor_id: str, include_inherited: bool = True) -> dict[str, str | None]:
    """Actor ids whose obligations apply to actor_id -> reason (None for the actor itself)."""
    tax = taxonomy.actors()
    direct = tax[actor_id].get("binds") or [actor_id]
    out: dict[str, str | None] = {a: None for a in direct}
    out.setdefault(actor_id, None)
    if include_inherited:
        for a in direct:
            for k, v in tax.inherited(a).items():
                if k not in out:
                    out[k] = v
    return out


def _ancestors(pid: str) -> list[str]:
    parts = pid.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 1, -1)]


def query(store, actor=None, stage=None, modality=None, doc=None, level=None, current_only=True,
          include_inherited=True, limit=100, offset=0, regulator_duties: bool | None = None) -> list[dict]:
    """Rows: id, modality, actors, stages, requirement_zh/en, provision_id, citation, doc_id, doc_title, version,
    text (verbatim provision text), clause, condition, regulator_duty, penalties, inherited_via."""
    targets = None
    if actor:
        targets = actor_targets(resolve_actor(actor), include_inherited)
    stage_id = resolve_stage(stage) if stage else None
    if modality and modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r} — use one of {', '.join(MODALITIES)}")
    where = ["($modality IS NULL OR o.modality = $modality)",
             "($doc IS NULL OR d.id = $doc OR d.instrument = $doc)",
             "($level IS NULL OR d.level = $level)",
             "($current = false OR d.current = true)",
             "($actors IS NULL OR any(x IN o.actors WHERE x IN $actors))",
             "($stage IS NULL OR $stage IN o.stage_ids)",
             "($reg IS NULL OR o.regulator_duty = $reg)"]
    cypher = ("MATCH (o:Obligation)-[:DERIVED_FROM]->(p:Provision) MATCH (d:Document {id: o.doc_id}) "
              f"WHERE {' AND '.join(where)} "
              "RETURN o {.*} AS o, p.text AS text, d.title AS doc_title, d.short_title AS short_title, "
              "d.version AS version, d.level AS level, d.current AS current "
              "ORDER BY o.doc_id, o.position SKIP $offset LIMIT $limit")
    rows = store.run(cypher, modality=modality, doc=doc, level=level, current=bool(current_only),
                     actors=list(targets) if targets is not None else None, stage=stage_id,
                     reg=regulator_duties, offset=int(offset), limit=int(limit))
    pids = sorted({a for r in rows for a in _ancestors(r["o"]["provision_id"])})
    pen: dict[str, list[str]] = {}
    if pids:
        for r in store.run("MATCH (x:Provision)-[:PENALIZES]->(t:Provision) WHERE t.id IN $ids "
                           "RETURN t.id AS target, x.citation AS citation, x.order AS ord ORDER BY ord", ids=pids):
            pen.setdefault(r["target"], [])
            if r["citation"] not in pen[r["target"]]:
                pen[r["target"]].append(r["citation"])
    out = []
    for r in rows:
        o = r["o"]
        via = None
        if targets is not None:
            reasons = [targets[a] for a in o.get("actors") or [] if a in targets]
            via = None if any(x is None for x in reasons) or not reasons else reasons[0]
        penalties: list[str] = []
        for a in _ancestors(o["provision_id"]):
            for c in pen.get(a, []):
                if c not in penalties:
                    penalties.append(c)
        out.append({
            "id": o["id"], "modality": o["modality"], "actors": list(o.get("actors") or []),
            "regulators": list(o.get("regulators") or []), "regulator_duty": bool(o.get("regulator_duty")),
            "stages": [{"id": s, "confidence": c} for s, c in zip(o.get("stage_ids") or [], o.get("stage_confidences") or [])],
            "requirement_zh": o.get("requirement_zh"), "requirement_en": o.get("requirement_en"),
            "action": o.get("action"), "object": o.get("object"), "condition": o.get("condition"),
            "provision_id": o["provision_id"], "citation": o["citation"], "doc_id": o["doc_id"],
            "doc_title": r["doc_title"], "version": r["version"], "level": r["level"], "current": r["current"],
            "text": r["text"], "clause": o.get("text"), "confidence": o.get("confidence"),
            "penalties": penalties, "inherited_via": via,
        })
    return out
