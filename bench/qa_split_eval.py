"""Answer-level evaluation on the TRAIN and TEST splits (the README's quality figures come from TEST).

    python bench/qa_split_eval.py --split train|test [--engine new|fused] [--out bench/results/qa_split_test.json]

Per question: retrieval (hit@1/5, MRR), and the full `ask`: refused or answered; a gold clause cited, and cited
first; a conclusion line; on penalty questions the statutory maximum (`penalty_max`) in the conclusion; every quote
verbatim in the provision it cites. Refusal questions: refused; not-loaded ones name the instrument. TEST files are
written before tuning and are never read by the training script (scripts/train_qa_models.py).

`--engine fused` ranks by the first-stage fusion alone (the previous engine's ranking, tag engine-v1) so the two are
compared on the same store, same questions, same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("YIGUI_PROGRESS", "0")

SPLITS = {
    "train": ["corpus/eval/questions.jsonl", "corpus/eval/qa_train_gen.jsonl", "corpus/eval/qa_train_gen2.jsonl",
              "corpus/eval/qa_train_gen3.jsonl",
              *sorted(str(p.relative_to(REPO)) for p in (REPO / "corpus/eval").glob("qa_train_gen[4-9]_*.jsonl")), "@dev"],
    "test": ["corpus/eval/qa_test_zh.jsonl", "corpus/eval/qa_test_en.jsonl", "corpus/eval/qa_test_refuse.jsonl"],
}


def load(split: str) -> list[dict]:
    from corpus import corpus_dir

    out = []
    for f in SPLITS[split]:
        p = corpus_dir().parent / "eval" / "dev.jsonl" if f == "@dev" else REPO / f
        if not p.exists():
            continue
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                o = json.loads(line)
                o["_file"] = p.name
                out.append(o)
    return out


def pct(xs, p):
    from qa.eval import percentile

    return round(percentile(sorted(xs), p), 1)


def _norm(s: str) -> str:
    return re.sub(r"\s", "", s)


def run(split: str, engine: str = "new") -> dict:
    from qa.answer import Answerer
    from qa.eval import is_gold, title_resolver
    from qa.service import get_retriever

    r = get_retriever()
    ans = Answerer(r, use_llm=False)
    resolve = title_resolver(r.docs.values())
    qs = load(split)
    rows = []
    for o in qs:
        q = o["q"]
        gold = [(resolve(t), a) for t, a in o.get("gold") or []]
        refuse = bool(o.get("abstain"))
        t0 = time.perf_counter()
        hits = r.search(q, k=10, ranker=(engine == "new"))
        s_ms = (time.perf_counter() - t0) * 1000
        first = next((k for k, h in enumerate(hits, 1) if is_gold(h.unit, gold)), None) if gold else None
        r._qcache.clear()  # ask embeds its question again, as a fresh question would
        t0 = time.perf_counter()
        a = ans.ask(q) if engine == "new" else None
        a_ms = (time.perf_counter() - t0) * 1000
        row = {"id": o.get("id"), "lang": o.get("lang"), "refuse": refuse, "kind": o.get("kind"),
               "multi": bool(o.get("multi")), "intent": o.get("intent"), "first": first, "search_ms": s_ms,
               "ask_ms": a_ms, "scores": [round(h.score, 3) for h in hits[:8]]}
        if a is not None:
            cites = a.citations
            row["abstained"] = a.abstained
            inst_art = [(r.docs[c.doc_id].instrument if c.doc_id in r.docs else None, c.article) for c in cites]
            row["cited"] = any(any(i in ins and art == g for ins, g in gold) for i, art in inst_art) if gold else None
            row["cited_first"] = (bool(inst_art) and any(inst_art[0][0] in ins and inst_art[0][1] == g
                                                         for ins, g in gold)) if gold else None
            row["conclusion"] = bool(a.conclusion)
            if o.get("penalty_max"):
                row["penalty_ok"] = _norm(o["penalty_max"]) in _norm(a.conclusion or "")
            row["verbatim"] = all(_norm(c.quote) in _norm(r.by_id[c.provision_id].text) for c in cites
                                  if c.provision_id in r.by_id) and all(c.provision_id in r.by_id for c in cites)
            # every quotation in the answer text is a verbatim substring of a cited provision (Chinese or English)
            quotes = re.findall(r"“([^”]{4,})”", a.answer)
            pool = [_norm(c.quote) for c in cites] + [_norm(c.text_en or "") for c in cites]
            row["quotes_ok"] = all(any(_norm(x) in p for p in pool) for x in quotes) if not a.abstained else True
            if o.get("kind") == "not_loaded":
                row["names_missing"] = bool(set(o.get("not_loaded") or []) & set(a.not_loaded))
        rows.append(row)
    return summarise(rows)


def summarise(rows: list[dict]) -> dict:
    def rate(rs, key, pred=lambda v: bool(v)):
        rs = [x for x in rs if x.get(key) is not None]
        return (round(sum(1 for x in rs if pred(x[key])) / len(rs), 3), len(rs)) if rs else (None, 0)

    ans = [x for x in rows if not x["refuse"]]
    ref = [x for x in rows if x["refuse"]]
    out = {"n_answerable": len(ans), "n_refuse": len(ref)}
    for lang in ("zh", "en"):
        rs = [x for x in ans if x["lang"] == lang]
        if not rs:
            continue
        out[lang] = {
            "n": len(rs),
            "hit@1": rate(rs, "first", lambda v: v <= 1)[0] if rs else None,
            "hit@5": round(sum(1 for x in rs if x["first"] and x["first"] <= 5) / len(rs), 3),
            "mrr": round(sum(1 / x["first"] for x in rs if x["first"]) / len(rs), 3),
        }
        out[lang]["hit@1"] = round(sum(1 for x in rs if x["first"] == 1) / len(rs), 3)
    multi = [x for x in ans if x["multi"]]
    if multi:
        out["multi_hit@5"] = round(sum(1 for x in multi if x["first"] and x["first"] <= 5) / len(multi), 3)
    if any("abstained" in x for x in rows):
        out["answered_right"] = rate(ans, "abstained", lambda v: not v)
        out["refused_right"] = rate(ref, "abstained", lambda v: v)
        for kind in ("ood", "not_loaded"):
            ks = [x for x in ref if x.get("kind") == kind]
            if ks:
                out[f"refused_right_{kind}"] = rate(ks, "abstained", lambda v: v)
        out["not_loaded_named"] = rate([x for x in ref if x.get("kind") == "not_loaded"], "names_missing")
        answered = [x for x in ans if not x.get("abstained")]
        out["gold_cited"] = rate(ans, "cited")
        out["gold_cited_first"] = rate(ans, "cited_first")
        out["conclusion"] = rate(answered, "conclusion")
        out["penalty_max_ok"] = rate(ans, "penalty_ok")
        out["verbatim"] = rate(rows, "verbatim")
        out["quotes_ok"] = rate(rows, "quotes_ok")
        out["ask_ms"] = {"p50": pct([x["ask_ms"] for x in rows], 50), "p95": pct([x["ask_ms"] for x in rows], 95)}
    out["search_ms"] = {"p50": pct([x["search_ms"] for x in rows], 50), "p95": pct([x["search_ms"] for x in rows], 95)}
    out["rows"] = rows
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=list(SPLITS), required=True)
    ap.add_argument("--engine", choices=["new", "fused"], default="new")
    ap.add_argument("--out")
    ap.add_argument("--misses", action="store_true", help="list TRAIN questions missed (never used with TEST)")
    a = ap.parse_args(argv)
    res = run(a.split, a.engine)
    show = {k: v for k, v in res.items() if k != "rows"}
    print(json.dumps(show, ensure_ascii=False, indent=1))
    if a.misses:
        if a.split == "test":
            sys.exit("--misses is for TRAIN only: TEST failures are not looked at while tuning")
        for x in res["rows"]:
            if (not x["refuse"] and (x["first"] is None or x["first"] > 5 or x.get("abstained"))) or \
                    (x["refuse"] and not x.get("abstained")):
                print(x["id"], x["lang"], x["first"], x.get("abstained"))
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
