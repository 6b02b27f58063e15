"""Change impact between two versions of an instrument, and a horizon scan over what is loaded.

`impact(queries, "csl-2016", "csl-2025")`: the renumbering map (every old article -> its new number, identical or
edited; articles added and removed, by ingest.diff.align) and the obligations it touches: register rows whose clause
is unchanged but now cited under another number (renumbered), rows whose clause was edited (changed: old and new
row side by side), rows that exist only in the older version (removed) or only in the newer one (added). Register
keys (instrument + clause words) make "unchanged" exact: the key of an untouched clause is the same in both.

`horizon(queries, since)`: every loaded version that took (or takes) effect after `since`, with what it changed
(an amendment: the impact counts against the version before it) or what it brings (a new instrument: its
obligations); registered instruments with a later date whose text is not loaded are listed as such.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from ingest.diff import align, normalise
from ingest.versions import starts

LinkKind = Literal["identical", "renumbered", "edited", "edited_renumbered", "added", "removed"]


class ArticleMove(BaseModel):
    old: int | None = Field(description="article number in the older version (None: added)")
    new: int | None = Field(description="article number in the newer version (None: removed)")
    kind: LinkKind
    similarity: float
    old_citation: str | None = None
    new_citation: str | None = None


class RowChange(BaseModel):
    """One register row affected by the new version."""

    change: Literal["added", "removed", "changed", "renumbered", "penalty_changed"]
    key: str = Field(description="register id of the row (the older row's for removed/changed/renumbered)")
    new_key: str | None = Field(None, description="the newer row's register id (changed rows)")
    modality: str
    old_citation: str | None = None
    new_citation: str | None = None
    old_text: str | None = None
    new_text: str | None = None
    requirement_zh: str = ""
    old_penalties: list[str] = Field(default_factory=list, description="penalty clauses linked in the older version")
    new_penalties: list[str] = Field(default_factory=list, description="… and in the newer one")


class ImpactReport(BaseModel):
    instrument: str
    old: str
    new: str
    old_title: str
    new_title: str
    old_effective: str | None = None
    new_effective: str | None = None
    articles: dict[str, int] = Field(description="article links by kind")
    renumbering: list[ArticleMove] = Field(description="every article of either version, in order")
    rows: list[RowChange]
    counts: dict[str, int] = Field(description="register rows by change")


class HorizonItem(BaseModel):
    doc_id: str | None = None
    instrument: str
    title: str
    effective: str | None = None
    standing: Literal["in_force", "coming_into_force", "not_loaded"]
    kind: Literal["amendment", "new_instrument", "not_loaded"]
    previous: str | None = Field(None, description="the version it replaces (amendments)")
    articles: dict[str, int] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict, description="register rows by change (amendments) or "
                                                                     "obligations (new instruments)")


class Horizon(BaseModel):
    since: str
    until: str
    items: list[HorizonItem]


def _articles(queries, doc_id: str) -> dict[int, dict]:
    rows = queries.store.read("MATCH (p:Provision {doc_id: $doc}) WHERE p.kind = 'article' "
                              "RETURN p.number AS n, p.text AS text, p.citation AS citation, p.id AS id", doc=doc_id)
    out = {int(r["n"]): r for r in rows if r["n"] is not None}
    if not out:  # guidelines: top-level numbered sections
        rows = queries.store.read("MATCH (p:Provision {doc_id: $doc}) WHERE p.kind = 'section' AND p.parent_id IS NULL "
                                  "RETURN p.number AS n, p.text AS text, p.citation AS citation, p.id AS id", doc=doc_id)
        out = {int(r["n"]): r for r in rows if r["n"] is not None}
    return out


def _article_of(provision_id: str, doc_id: str) -> str:
    """doc/art12/p2/i3 -> doc/art12 (the article a row belongs to)."""
    rest = provision_id[len(doc_id) + 1:].split("/")
    return f"{doc_id}/{rest[0]}"


_REF = re.compile(r"第[零一二三四五六七八九十百千0-9]+(?:条|款|项)|（[一二三四五六七八九十]+）")


def _sanctions(o) -> set[str]:
    """The wording of the sanctions linked to a row, cross-references blanked (违反本法第二十一条 -> 第二十三条 is
    renumbering, not a new sanction)."""
    return {_REF.sub("§", normalise((d.sanction_text or "") + d.text)) for d in o.penalty_details or []}


def impact(queries, old_id: str, new_id: str) -> ImpactReport:
    """The renumbering map and the register rows an amendment touches (see the module docstring). Raises
    ValueError naming a version that is not loaded or two that are not versions of one instrument."""
    do, dn = queries.document(old_id), queries.document(new_id)
    for x, d in ((old_id, do), (new_id, dn)):
        if d is None:
            ids = ", ".join(sorted(v.id for v in queries.documents() if (v.lang or "zh") == "zh"))
            raise ValueError(f"no loaded document {x!r}: use a document id ({ids})")
    if do.instrument != dn.instrument:
        raise ValueError(f"{old_id} ({do.instrument}) and {new_id} ({dn.instrument}) are not versions of one "
                         "instrument")
    if starts(do) > starts(dn):
        do, dn, old_id, new_id = dn, do, new_id, old_id
    a, b = _articles(queries, old_id), _articles(queries, new_id)
    links = align({n: r["text"] for n, r in a.items()}, {n: r["text"] for n, r in b.items()})
    moves = [ArticleMove(old=l.old, new=l.new, kind=l.kind, similarity=l.similarity,
                         old_citation=a[l.old]["citation"] if l.old is not None else None,
                         new_citation=b[l.new]["citation"] if l.new is not None else None) for l in links]
    new_of = {a[l.old]["id"]: (b[l.new]["id"] if l.new is not None else None) for l in links if l.old is not None}

    olds = queries.obligations(doc=old_id, current_only=False, include_inherited=True, limit=100000)
    news = queries.obligations(doc=new_id, current_only=False, include_inherited=True, limit=100000)
    new_keys = {o.key for o in news}
    old_keys = {o.key for o in olds}
    new_by_art: dict[str, list] = defaultdict(list)
    for o in news:
        if o.key not in old_keys:
            new_by_art[_article_of(o.provision_id, new_id)].append(o)
    rows: list[RowChange] = []
    paired: set[str] = set()
    by_key_new = {o.key: o for o in news}
    for o in olds:
        if o.key in new_keys:
            n = by_key_new[o.key]
            pen_o, pen_n = _sanctions(o), _sanctions(n)
            if pen_o != pen_n:  # the duty reads the same, its sanction does not (a fine raised, a clause merged)
                rows.append(RowChange(change="penalty_changed", key=o.key, modality=o.modality,
                                      old_citation=o.citation, new_citation=n.citation, old_text=o.clause,
                                      new_text=n.clause, requirement_zh=n.requirement_zh,
                                      old_penalties=o.penalties, new_penalties=n.penalties))
            elif n.citation != o.citation:
                rows.append(RowChange(change="renumbered", key=o.key, modality=o.modality, old_citation=o.citation,
                                      new_citation=n.citation, old_text=o.clause, new_text=n.clause,
                                      requirement_zh=n.requirement_zh))
            continue
        target = new_of.get(_article_of(o.provision_id, old_id))
        cands = [n for n in new_by_art.get(target or "", []) if n.key not in paired and n.modality == o.modality] \
            or [n for n in new_by_art.get(target or "", []) if n.key not in paired]
        if cands:
            n = cands[0]
            paired.add(n.key)
            rows.append(RowChange(change="changed", key=o.key, new_key=n.key, modality=n.modality,
                                  old_citation=o.citation, new_citation=n.citation, old_text=o.clause,
                                  new_text=n.clause, requirement_zh=n.requirement_zh))
        else:
            rows.append(RowChange(change="removed", key=o.key, modality=o.modality, old_citation=o.citation,
                                  old_text=o.clause, requirement_zh=o.requirement_zh))
    for o in news:
        if o.key not in old_keys and o.key not in paired:
            rows.append(RowChange(change="added", key=o.key, modality=o.modality, new_citation=o.citation,
                                  new_text=o.clause, requirement_zh=o.requirement_zh))
    counts = {k: sum(1 for r in rows if r.change == k)
              for k in ("added", "removed", "changed", "penalty_changed", "renumbered")}
    counts["unchanged"] = sum(1 for o in olds if o.key in new_keys) - counts["renumbered"] - counts["penalty_changed"]
    arts: dict[str, int] = defaultdict(int)
    for l in links:
        arts[l.kind] += 1
    return ImpactReport(instrument=do.instrument or old_id, old=old_id, new=new_id, old_title=do.title or old_id,
                        new_title=dn.title or new_id, old_effective=do.effective, new_effective=dn.effective,
                        articles=dict(arts), renumbering=moves, rows=rows, counts=counts)


def horizon(queries, since: str, until: str, registry_rows: list[dict] | None = None) -> Horizon:
    """What took effect in (since, until] or takes effect later, across the loaded corpus (see the module
    docstring). `until` is today for "in force" vs "coming into force"; registry_rows (ingest.registry.status_table)
    adds the registered instruments whose text is not loaded."""
    docs = [d for d in queries.documents() if (d.lang or "zh") == "zh"]
    by_inst: dict[str, list] = defaultdict(list)
    for d in docs:
        by_inst[d.instrument or d.id].append(d)
    items: list[HorizonItem] = []
    for inst, group in by_inst.items():
        group.sort(key=lambda d: (starts(d), d.id))
        for k, d in enumerate(group):
            day = starts(d)
            if not day or day <= since:
                continue
            standing = "in_force" if day <= until else "coming_into_force"
            if k > 0:
                rep = impact(queries, group[k - 1].id, d.id)
                items.append(HorizonItem(doc_id=d.id, instrument=inst, title=d.title or d.id, effective=day,
                                         standing=standing, kind="amendment", previous=group[k - 1].id,
                                         articles=rep.articles, counts=rep.counts))
            else:
                n = len(queries.obligations(doc=d.id, current_only=False, limit=100000))
                items.append(HorizonItem(doc_id=d.id, instrument=inst, title=d.title or d.id, effective=day,
                                         standing=standing, kind="new_instrument", counts={"obligations": n}))
    for r in registry_rows or []:
        day = (r.get("effective") or "")[:10]
        if r.get("loaded") or not day or day <= since:
            continue
        items.append(HorizonItem(instrument=r["id"], title=r.get("title") or r["id"], effective=day,
                                 standing="not_loaded", kind="not_loaded"))
    items.sort(key=lambda x: (x.effective or "", x.instrument))
    return Horizon(since=since, until=until, items=items)
