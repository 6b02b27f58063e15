"""Obligations that apply to a role, at a stage, of a kind, in a document — with the reason each one applies.

"All obligations that apply to role X" = those binding X directly, plus those binding a role X inherits: a broader
role (X is a kind of Y) or a role overlap (a medical institution processing patient data is also a personal
information processor); each inherited row says why in `inherited_via`."""
from __future__ import annotations

import re

from corpus import taxonomy
from graph.obligations.model import MODALITIES, InheritedVia, ObligationItem, ObligationPage
from ingest.model import LEVEL_RANK


def resolve_actor(value: str) -> str:
    """Actor id from an id, Chinese or English name or alias; raises ValueError naming close matches."""
    return taxonomy.actors().resolve(value)


def resolve_stage(value: str) -> str:
    return taxonomy.stages().resolve(value)


def actor_targets(actor_id: str, include_inherited: bool = True) -> dict[str, InheritedVia | None]:
    """Actor ids whose obligations apply to actor_id -> why (None for the actor itself and the roles it binds)."""
    tax = taxonomy.actors()
    direct = tax[actor_id].get("binds") or [actor_id]
    out: dict[str, InheritedVia | None] = {a: None for a in direct}
    out.setdefault(actor_id, None)
    if include_inherited:
        for a in direct:
            for k, (path, rel, reason) in tax.inheritance(a).items():
                if k not in out:
                    out[k] = InheritedVia(actor=k, path=path if a == actor_id else [actor_id, *path], relation=rel,
                                          reason=reason)
    return out


def check_filters(store, doc: str | None = None, level: str | None = None) -> None:
    """An unknown document or level is the caller's mistake, not an empty result: ValueError naming the valid ones."""
    if level and level not in LEVEL_RANK:
        raise ValueError(f"unknown level {level!r} — use one of {', '.join(LEVEL_RANK)}")
    if doc:
        rows = store.read("MATCH (d:Document) WHERE d.lang = 'zh' RETURN d.id AS id, d.instrument AS instrument")
        known = {r["id"] for r in rows} | {r["instrument"] for r in rows if r["instrument"]}
        if doc not in known:
            raise ValueError(f"unknown doc {doc!r}: no such document or instrument is loaded — use one of "
                             f"{', '.join(sorted(known))}")


def _ancestors(pid: str) -> list[str]:
    parts = pid.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 1, -1)]


def _penalties(store, pids: list[str]) -> dict[str, list[dict]]:
    """Penalty clauses linked (PENALIZES) to each of the given provisions: citation, text, how the link was made
    (explicit reference, inferred from the described conduct, or a general catch-all) and its evidence."""
    pen: dict[str, list[dict]] = {}
    if not pids:
        return pen
    for r in store.read("MATCH (x:Provision)-[l:PENALIZES]->(t:Provision) WHERE t.id IN $ids "
                       "RETURN t.id AS target, x.id AS src, x.citation AS citation, x.text AS text, x.order AS ord, "
                       "l.method AS method, l.text AS ref ORDER BY ord", ids=pids):
        seen = pen.setdefault(r["target"], [])
        if all(d["provision_id"] != r["src"] for d in seen):
            seen.append({"provision_id": r["src"], "citation": r["citation"], "text": r["text"] or "",
                         "method": r["method"] or "explicit", "evidence": r["ref"] or ""})
    # an item of a penalty list (有下列情形之一的，由…处…罚款：（五）…) carries its conduct; the tiers are the lead-in's
    parents = {d["provision_id"].rsplit("/", 1)[0] for ds in pen.values() for d in ds
               if re.search(r"/i\d+$", d["provision_id"])}
    if parents:
        lead = {r["id"]: r["text"] or "" for r in store.read("MATCH (p:Provision) WHERE p.id IN $ids "
                                                             "RETURN p.id AS id, p.text AS text", ids=sorted(parents))}
        for ds in pen.values():
            for d in ds:
                pid = d["provision_id"]
                if re.search(r"/i\d+$", pid) and pid.rsplit("/", 1)[0] in lead:
                    d["sanction_text"] = lead[pid.rsplit("/", 1)[0]].split("\n")[0]
    # the paragraph that escalates a penalty paragraph (有前款规定的违法行为，情节严重的，…) belongs with it: a register
    # states the highest tier too
    nxt = {}
    for ds in pen.values():
        for d in ds:
            m = re.match(r"^(.*/p)(\d+)$", re.sub(r"/i\d+$", "", d["provision_id"]))
            if m:
                nxt[d["provision_id"]] = f"{m.group(1)}{int(m.group(2)) + 1}"
    if nxt:
        found = {r["id"]: r for r in store.read("MATCH (p:Provision) WHERE p.id IN $ids RETURN p.id AS id, "
                                               "p.text AS text, p.citation AS citation", ids=sorted(set(nxt.values())))}
        for ds in pen.values():
            for d in ds:
                e = found.get(nxt.get(d["provision_id"], ""))
                if e and re.match(r"^\s*(?:有前款|前款规定的|违反前款|有前两款)", e["text"] or ""):
                    d["escalation"] = {"citation": e["citation"], "text": e["text"]}
    return pen


_ZH_SENT = re.compile(r"(?<=[。；])")
_EN_SENT = re.compile(r"(?<=[.;])\s+")


def official_english(clause: str, zh_text: str, en_text: str | None) -> str:
    """The official English of the clause: the aligned provision's sentence at the same position when both texts
    split into the same number of sentences, else the aligned provision's whole text; "" when none is aligned."""
    if not en_text:
        return ""
    zs = [x for x in (t.strip() for line in zh_text.split("\n") for t in _ZH_SENT.split(line)) if x]
    es = [x for x in (t.strip() for line in en_text.split("\n") for t in _EN_SENT.split(line)) if x]
    key = re.sub(r"\s", "", clause)[:12]
    idx = next((i for i, z in enumerate(zs) if key and key in re.sub(r"\s", "", z)), None)
    if idx is not None and len(zs) == len(es):
        return es[idx]
    return en_text.strip()


def _where(store, actor, stage, modality, doc, level, current_only, include_inherited, regulator_duties,
           doc_ids=None):
    targets = None
    if actor:
        targets = actor_targets(resolve_actor(actor), include_inherited)
    stage_id = resolve_stage(stage) if stage else None
    if modality and modality not in MODALITIES:
        raise ValueError(f"unknown modality {modality!r} — use one of {', '.join(MODALITIES)}")
    check_filters(store, doc=doc, level=level)
    # One map parameter `$f`, not one parameter per filter: Neo4j caches a plan per parameter *types* (null vs
    # string, and the size of a list), so separate parameters cost a fresh plan (0.6-1.5 s on 2 cores, measured by
    # bench/stores.py) for each new shape of filter; a map is one type whatever it holds.
    where = ["($f.modality IS NULL OR o.modality = $f.modality)",
             "($f.doc IS NULL OR d.id = $f.doc OR d.instrument = $f.doc)",
             "($f.level IS NULL OR d.level = $f.level)",
             "($f.current = false OR d.current = true)",
             "($f.docs IS NULL OR d.id IN $f.docs)",
             "($f.actors IS NULL OR any(x IN o.actors WHERE x IN $f.actors))",
             "($f.stage IS NULL OR $f.stage IN o.stage_ids)",
             "($f.reg IS NULL OR o.regulator_duty = $f.reg)"]
    # doc_ids (the versions in force on an as-of date) replaces the current flag: on 2023-06-01 mdsr-2021 applied
    f = dict(modality=modality, doc=doc, level=level, current=bool(current_only) and doc_ids is None,
             docs=sorted(doc_ids) if doc_ids is not None else None,
             actors=list(targets) if targets is not None else None, stage=stage_id, reg=regulator_duties)
    return targets, " AND ".join(where), {"f": f}


def count(store, actor=None, stage=None, modality=None, doc=None, level=None, current_only=True,
          include_inherited=True, regulator_duties: bool | None = None, doc_ids=None) -> int:
    """How many obligations the filters match (the total behind a page)."""
    _, where, params = _where(store, actor, stage, modality, doc, level, current_only, include_inherited,
                              regulator_duties, doc_ids)
    rows = store.read("MATCH (o:Obligation)-[:DERIVED_FROM]->(p:Provision) MATCH (d:Document {id: o.doc_id}) "
                     f"WHERE {where} RETURN count(o) AS n", **params)
    return int(rows[0]["n"]) if rows else 0


def page(store, limit=50, offset=0, **filters) -> ObligationPage:
    """One page with the total and the next offset (None on the last page)."""
    items = query(store, limit=limit, offset=offset, **filters)
    total = count(store, **filters)
    nxt = offset + len(items)
    return ObligationPage(items=items, total=total, count=len(items), limit=limit, offset=offset,
                          next_offset=nxt if nxt < total else None)


def query(store, actor=None, stage=None, modality=None, doc=None, level=None, current_only=True,
          include_inherited=True, limit=100, offset=0, regulator_duties: bool | None = None,
          doc_ids=None) -> list[ObligationItem]:
    """Rows, highest legal rank first, then document order (see ObligationItem for the fields); each inherited row
    says why it applies (`inherited_via`: the chain of role ids and the reason)."""
    targets, where, params = _where(store, actor, stage, modality, doc, level, current_only, include_inherited,
                                    regulator_duties, doc_ids)
    cypher = ("MATCH (o:Obligation)-[:DERIVED_FROM]->(p:Provision) MATCH (d:Document {id: o.doc_id}) "
              f"WHERE {where} "
              "OPTIONAL MATCH (e:Provision)-[:TRANSLATION_OF]->(p) "
              "RETURN o {.*} AS o, p.text AS text, e.text AS text_en, d.title AS doc_title, "
              "d.short_title AS short_title, d.instrument AS instrument, d.version AS version, "
              "d.effective AS effective, d.level AS level, d.current AS current, d.rank AS rank "
              "ORDER BY d.rank DESC, o.doc_id, o.position SKIP $offset LIMIT $limit")
    rows = store.read(cypher, **params, offset=int(offset), limit=int(limit))
    pen = _penalties(store, sorted({a for r in rows for a in _ancestors(r["o"]["provision_id"])}))
    out = []
    for r in rows:
        o = r["o"]
        via = None
        if targets is not None:
            reasons = [targets[a] for a in o.get("actors") or [] if a in targets]
            via = None if any(x is None for x in reasons) or not reasons else reasons[0]
        details: list[dict] = []
        for a in _ancestors(o["provision_id"]):
            for d in pen.get(a, []):
                if d["provision_id"] not in {x["provision_id"] for x in details}:
                    details.append(d)
        # explicit and inferred links before the catch-all ones (a general penalty is the fallback); a right or a
        # regulator's power is nobody's breach: no penalty row for it
        details.sort(key=lambda d: d["method"] == "general")
        if o["modality"] in ("right", "power"):
            details = []
        out.append(ObligationItem(
            id=o["id"], key=o.get("key") or o["id"], modality=o["modality"],
            actors=list(o.get("actors") or []),
            regulators=list(o.get("regulators") or []), regulator_duty=bool(o.get("regulator_duty")),
            stages=[{"id": s, "confidence": c} for s, c in zip(o.get("stage_ids") or [], o.get("stage_confidences") or [])],
            requirement_zh=o.get("requirement_zh") or "",
            requirement_en=official_english(o.get("text") or "", r["text"] or "", r["text_en"]),
            action=o.get("action"), object=o.get("object"), condition=o.get("condition"),
            exception=o.get("exception"), elements=list(o.get("elements") or []),
            provision_id=o["provision_id"], citation=o["citation"], doc_id=o["doc_id"],
            instrument=r["instrument"], doc_title=r["doc_title"], short_title=r["short_title"],
            version=_s(r["version"]), effective=_s(r["effective"]), level=r["level"],
            current=r["current"] is not False, text=r["text"] or "", clause=o.get("text") or "",
            confidence=o.get("confidence"), position=int(o.get("position") or 0),
            penalties=[d["citation"] for d in details], penalty_details=details, inherited_via=via,
        ))
    return out


def _s(value) -> str | None:
    return None if value is None else str(value)
