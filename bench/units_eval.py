"""Obligation extraction scored per normative unit (corpus/eval/units_{train,test}.jsonl, guideline UNITS.md).

Every article listed in the annotation is annotated whole, so each obligation extracted from an annotated article
either matches a gold unit or is a false positive. An obligation matches a unit when it comes from the unit's
provision (or one above or below it) and their texts overlap (matched characters ≥ MATCH of the shorter text);
matching is one-to-one, best overlap first.

- unit recall / precision: matched units / gold units, matched obligations / obligations in annotated articles
- modality macro-F1 over matched pairs (obligation, prohibition, permission, right, power)
- actor accuracy: the bearer set equal (actor ids, regulators as reg:<id>) over matched units that name a bearer
- stage micro-F1 over matched units (guideline STAGES.md)
- elements: matched units with listed elements whose element ids are all found

TEST (`units_test.jsonl`) was annotated before the issue-#11 changes to the extractor and is never used to change
a rule or fit a model; TRAIN is where failures are read.

    python bench/units_eval.py [--split train|test|all] [--json] [--errors]
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL = ROOT / "corpus" / "eval"
MATCH = 0.5
MODALITIES = ("obligation", "prohibition", "permission", "right", "power")


def load_gold(split: str) -> tuple[list[dict], set[str]]:
    """Units and the annotated articles of a split ("all": both)."""
    units, articles = [], set()
    for sp in (("train", "test") if split == "all" else (split,)):
        path = EVAL / f"units_{sp}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            articles.add(rec["article"])
            if rec.get("units") == 0:
                continue
            units.append(rec)
    return units, articles


def _norm(s: str) -> str:
    return re.sub(r"[\s，,。；;：:、“”\"'（）()]", "", re.sub(r"^\s*[（(][一二三四五六七八九十\d]+[）)]", "", s or ""))


def overlap(a: str, b: str) -> float:
    a, b = _norm(a), _norm(b)
    if not a or not b:
        return 0.0
    m = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(x.size for x in m.get_matching_blocks()) / min(len(a), len(b))


def _related(p: str, g: str) -> bool:
    return p == g or p.startswith(g + "/") or g.startswith(p + "/")


def _in_article(pid: str, article: str) -> bool:
    return pid == article or pid.startswith(article + "/")


def bearers(o) -> set[str]:
    return set(o.actors) | {f"reg:{r}" for r in o.regulators}


def match(units: list[dict], obligations: list, articles: set[str]) -> tuple[list[tuple[dict, object]], list, list]:
    """(matched pairs, unmatched units, unmatched obligations of annotated articles)."""
    by_art: dict[str, list] = defaultdict(list)
    for o in obligations:
        for a in articles:
            if _in_article(o.provision_id, a):
                by_art[a].append(o)
                break
    pairs, lost, extra = [], [], []
    gold_by_art: dict[str, list[dict]] = defaultdict(list)
    for u in units:
        gold_by_art[u["article"]].append(u)
    for art in sorted(articles):
        gold, pred = gold_by_art.get(art, []), by_art.get(art, [])
        cands = sorted(((overlap(u["text"], o.text), i, j) for i, u in enumerate(gold) for j, o in enumerate(pred)
                        if _related(o.provision_id, u["provision_id"])), reverse=True)
        used_g, used_p = set(), set()
        for score, i, j in cands:
            if score < MATCH or i in used_g or j in used_p:
                continue
            used_g.add(i)
            used_p.add(j)
            pairs.append((gold[i], pred[j]))
        lost += [u for i, u in enumerate(gold) if i not in used_g]
        extra += [o for j, o in enumerate(pred) if j not in used_p]
    return pairs, lost, extra


def _f1(tp: int, fp: int, fn: int) -> float:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return 2 * p * r / (p + r) if p + r else 0.0


def score(units: list[dict], obligations: list, articles: set[str]) -> tuple[dict, list[str]]:
    pairs, lost, extra = match(units, obligations, articles)
    n_pred = len(pairs) + len(extra)
    errors = [f"missed   {u['unit_id']}: {u['text'][:60]}" for u in lost]
    errors += [f"extra    {o.id} [{o.modality}]: {o.text[:60]}" for o in extra]
    per_class = {}
    for m in MODALITIES:
        tp = sum(1 for u, o in pairs if u["modality"] == m and o.modality == m)
        fp = sum(1 for u, o in pairs if u["modality"] != m and o.modality == m)
        fn = sum(1 for u, o in pairs if u["modality"] == m and o.modality != m)
        if tp + fn:
            per_class[m] = round(_f1(tp, fp, fn), 3)
    judged = [(u, o) for u, o in pairs if u["actors"]]
    actor_ok = sum(1 for u, o in judged if set(u["actors"]) == bearers(o))
    tp = sum(len(set(u["stages"]) & {s.id for s in o.stages}) for u, o in pairs)
    fp = sum(len({s.id for s in o.stages} - set(u["stages"])) for u, o in pairs)
    fn = sum(len(set(u["stages"]) - {s.id for s in o.stages}) for u, o in pairs)
    with_el = [(u, o) for u, o in pairs if u.get("elements")]
    el_ok = sum(1 for u, o in with_el if set(u["elements"]) <= set(getattr(o, "element_ids", []) or []))
    for u, o in pairs:
        if u["modality"] != o.modality:
            errors.append(f"modality {u['unit_id']}: gold {u['modality']} pred {o.modality}")
        if u["actors"] and set(u["actors"]) != bearers(o):
            errors.append(f"actor    {u['unit_id']}: gold {sorted(u['actors'])} pred {sorted(bearers(o))}")
        if set(u["stages"]) != {s.id for s in o.stages}:
            errors.append(f"stage    {u['unit_id']}: gold {sorted(u['stages'])} pred {sorted(s.id for s in o.stages)}")
    report = {
        "units": len(units), "articles": len(articles), "documents": len({a.split("/")[0] for a in articles}),
        "predicted": n_pred, "matched": len(pairs),
        "unit_recall": round(len(pairs) / len(units), 3) if units else None,
        "precision": round(len(pairs) / n_pred, 3) if n_pred else None,
        "modality_macro_f1": round(sum(per_class.values()) / len(per_class), 3) if per_class else None,
        "modality_per_class": per_class,
        "actor_accuracy": round(actor_ok / len(judged), 3) if judged else None, "actor_judged": len(judged),
        "stage_micro_f1": round(_f1(tp, fp, fn), 3),
        "elements_found": round(el_ok / len(with_el), 3) if with_el else None, "elements_judged": len(with_el),
        "regulator_units": sum(1 for u in units if any(a.startswith("reg:") for a in u["actors"])),
        "lead_in_lists": len(with_el),
    }
    return report, errors


def extract_all():
    from bench.obligations_eval import parse_corpus
    from graph.obligations import extract

    docs = parse_corpus()
    t0 = time.perf_counter()
    result = extract(docs)
    return result, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("train", "test", "all"), default="train")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", action="store_true", help="list every missed unit, extra obligation and field error")
    args = ap.parse_args()
    result, secs = extract_all()
    out = {}
    for sp in (("train", "test") if args.split == "all" else (args.split,)):
        units, articles = load_gold(sp)
        rep, errors = score(units, result.obligations, articles)
        rep["extract_s"] = round(secs, 2)
        out[sp] = rep
        if not args.json:
            print(f"-- {sp}: {rep['units']} units, {rep['articles']} articles, {rep['documents']} documents "
                  f"({rep['regulator_units']} regulators' units, {rep['lead_in_lists']} lists under a lead-in)")
            print(f"   unit recall {rep['unit_recall']}  precision {rep['precision']}  modality macro-F1 "
                  f"{rep['modality_macro_f1']} {rep['modality_per_class']}")
            print(f"   actor accuracy {rep['actor_accuracy']} on {rep['actor_judged']}  stage micro-F1 "
                  f"{rep['stage_micro_f1']}  elements {rep['elements_found']} on {rep['elements_judged']}")
        if args.errors:
            print("\n".join(errors))
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
