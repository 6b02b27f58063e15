"""Retrieval evaluation on question files in the format of dev.jsonl:
{"id", "lang", "q", "gold": [[short title or alias, article number], ...], "abstain": optional bool}.

A gold item names an instrument by its citation title or a registry alias (深度合成管理规定 = 互联网信息服务深度合成管理规定,
民法典 = both Civil Code books) and is matched against the current version of that instrument (网络安全法 = CSL 2025).
"""
from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

KS = (1, 3, 5, 10)


@dataclass
class Question:
    id: str
    lang: str
    q: str
    gold: list[tuple[str, int]]
    abstain: bool = False


def load_questions(path: str | Path) -> list[Question]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                o = json.loads(line)
                gold = [(str(t), int(a)) for t, a in o.get("gold") or []]
                out.append(Question(str(o.get("id", n)), o.get("lang") or "", o["q"], gold, bool(o.get("abstain"))))
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"{path}:{n}: not a question line ({e}); expected "
                                 '{"id":..,"lang":"zh|en","q":"..","gold":[["title",article],..]}') from None
    return out


def _norm(s: str) -> str:
    return re.sub(r"[\s《》（）()]", "", s)


def title_resolver(docs) -> callable:
    """title/alias -> set of instrument ids (from document short titles, titles and registry aliases)."""
    from .text import instrument_aliases

    table: dict[str, set[str]] = {}
    for d in docs:
        for t in (d.short_title, d.title):
            if t:
                table.setdefault(_norm(t), set()).add(d.instrument)
    for alias, key in instrument_aliases():
        table.setdefault(_norm(alias), set()).add(key)

    def resolve(title: str) -> set[str]:
        n = _norm(title)
        if n in table:
            return table[n]
        hits = {k for t, ks in table.items() if n and (n in t) for k in ks}
        return hits

    return resolve


def is_gold(unit, gold: list[tuple[set[str], int]]) -> bool:
    """Whether a retrieval unit (article of a document) is one of the resolved gold (instrument ids, article)."""
    return any(unit.doc.instrument in ins and unit.prov.article == a for ins, a in gold)


def evaluate(retriever, questions: list[Question], k: int = 10) -> dict:
    """Hit@k, recall@10 and MRR per language and overall, and search latency after warm-up."""
    retriever.warm_up()
    resolve = title_resolver(retriever.docs.values())
    rows = []
    for q in questions:
        if q.abstain or not q.gold:
            continue
        gold = [(resolve(t), a) for t, a in q.gold]
        t0 = time.perf_counter()
        hits = retriever.search(q.q, k=max(k, 10))
        ms = (time.perf_counter() - t0) * 1000
        ranks = []
        for r, h in enumerate(hits, 1):
            if any(h.unit.doc.instrument in ins and h.unit.prov.article == a for ins, a in gold):
                ranks.append(r)
        found = {(i, a) for r, h in enumerate(hits[:10], 1) for gi, (ins, a) in enumerate(gold)
                 for i in [gi] if h.unit.doc.instrument in ins and h.unit.prov.article == a}
        rows.append({"id": q.id, "lang": q.lang or "?", "first": ranks[0] if ranks else None,
                     "recall10": len({g for g, _ in found}) / len(gold), "ms": ms,
                     "top": [h.unit.prov.citation for h in hits[:3]]})
    return summarise(rows)


def summarise(rows: list[dict]) -> dict:
    def agg(rs):
        n = len(rs)
        if not n:
            return {}
        out = {f"hit@{k}": sum(1 for r in rs if r["first"] and r["first"] <= k) / n for k in KS}
        out["recall@10"] = sum(r["recall10"] for r in rs) / n
        out["mrr"] = sum(1 / r["first"] for r in rs if r["first"]) / n
        out["n"] = n
        return out

    langs = sorted({r["lang"] for r in rows})
    ms = sorted(r["ms"] for r in rows)
    return {
        "overall": agg(rows),
        **{lang: agg([r for r in rows if r["lang"] == lang]) for lang in langs},
        "latency_ms": {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "n": len(ms)},
        "misses": [r for r in rows if not r["first"] or r["first"] > 5],
        "rows": rows,
    }


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return 0.0
    if len(xs) == 1:
        return xs[0]
    return float(statistics.quantiles(xs, n=100, method="inclusive")[int(p) - 1]) if p < 100 else max(xs)
