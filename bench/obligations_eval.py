"""Obligation extraction against the project's annotated set (corpus/eval/obligations.jsonl).

Three splits: `dev` (162 provisions, 13 documents; the rules were developed against it), `heldout` (38 provisions
from 6 other documents, annotated after the rules were written and never used to change them) and `heldout2`
(48 provisions from 10 further documents, annotated under corpus/eval/STAGES.md before the stage scorer was
reworked, and never used to tune it). Per provision the
gold record lists the modalities stated in it (empty: not normative), the bound actors
(taxonomy ids; regulators as `reg:<id>`) and the lifecycle stages. Predictions are the union over the
obligations extracted from that provision. Prints precision/recall/F1 per field (micro over (provision, label)
pairs), actor accuracy (exact set match on provisions with gold actors) and the whole-corpus extraction time.

    python bench/obligations_eval.py [--json] [--errors]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corpus import corpus_dir  # noqa: E402

GOLD = ROOT / "corpus" / "eval" / "obligations.jsonl"


def parse_corpus() -> list:
    """Every Chinese corpus document, parsed by the ingest package."""
    from ingest.parse import parse_text
    from ingest.readers import read_file

    out = []
    for path in sorted((corpus_dir() / "zh").glob("*.md")):
        raw = read_file(path)
        out.append(parse_text(raw.text, file_name=raw.file, meta=raw.meta, line_offset=raw.front_matter_lines))
    return out


def predictions(result) -> dict[str, dict[str, set]]:
    pred: dict[str, dict[str, set]] = {}
    for o in result.obligations:
        p = pred.setdefault(o.provision_id, {"modality": set(), "actors": set(), "stages": set()})
        p["modality"].add(o.modality)
        p["actors"].update(o.actors)
        p["actors"].update(f"reg:{r}" for r in o.regulators)
        p["stages"].update(s.id for s in o.stages)
    return pred


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "tp": tp, "fp": fp, "fn": fn}


def evaluate(gold: list[dict], pred: dict) -> tuple[dict, list[str]]:
    empty = {"modality": set(), "actors": set(), "stages": set()}
    scores, errors = {}, []
    for fld in ("modality", "actors", "stages"):
        tp = fp = fn = 0
        for g in gold:
            gs, ps = set(g[fld]), pred.get(g["provision_id"], empty)[fld]
            if fld != "modality" and (not g["modality"] or (fld == "actors" and not gs)):
                continue  # actors/stages are judged only where the gold provision is normative (and names actors)
            tp += len(gs & ps)
            fp += len(ps - gs)
            fn += len(gs - ps)
            if gs != ps:
                errors.append(f"{fld:8} {g['provision_id']}: gold {sorted(gs)} pred {sorted(ps)}")
        scores[fld] = prf(tp, fp, fn)
    judged = [g for g in gold if g["modality"] and g["actors"]]
    exact = sum(1 for g in judged if set(g["actors"]) == pred.get(g["provision_id"], empty)["actors"])
    scores["actors"]["accuracy"] = round(exact / len(judged), 3) if judged else None
    scores["actors"]["judged"] = len(judged)
    return scores, errors


def per_stage(gold: list[dict], pred: dict) -> dict[str, dict]:
    """Precision/recall/F1 of each stage label over the normative gold provisions."""
    counts: dict[str, list[int]] = {}
    for g in gold:
        if not g["modality"]:
            continue
        gs = set(g["stages"])
        ps = pred.get(g["provision_id"], {}).get("stages", set())
        for s in gs | ps:
            c = counts.setdefault(s, [0, 0, 0])
            c[0 if s in gs and s in ps else 1 if s in ps else 2] += 1
    return {s: prf(*c) for s, c in sorted(counts.items())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--errors", action="store_true", help="list every provision where a field differs")
    args = ap.parse_args()
    gold = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    docs = parse_corpus()
    t1 = time.perf_counter()
    from graph.obligations import extract

    t2 = time.perf_counter()
    result = extract(docs)
    t3 = time.perf_counter()
    pred = predictions(result)
    scores, errors = evaluate(gold, pred)
    splits = {sp: evaluate([g for g in gold if g.get("split", "dev") == sp], pred)[0]
              for sp in sorted({g.get("split", "dev") for g in gold})}
    report = {
        "gold_provisions": len(gold), "gold_documents": len({g["doc_id"] for g in gold}),
        "scores": scores, "splits": splits, "obligations": len(result.obligations), "terms": len(result.terms),
        "documents": len(docs), "parse_s": round(t1 - t0, 2), "import_s": round(t2 - t1, 2),
        "extract_s": round(t3 - t2, 2), "per_stage": per_stage(gold, pred),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"gold: {report['gold_provisions']} provisions from {report['gold_documents']} documents")
        for name, sc in [("all", scores), *splits.items()]:
            n = sum(1 for g in gold if name == "all" or g.get("split", "dev") == name)
            print(f"-- {name} ({n} provisions)")
            for fld, s in sc.items():
                extra = f"  accuracy {s['accuracy']:.3f} on {s['judged']}" if fld == "actors" else ""
                print(f"{fld:9} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
                      f"(tp {s['tp']} fp {s['fp']} fn {s['fn']}){extra}")
        print("-- stages, per label (all splits)")
        for sid, s in report["per_stage"].items():
            print(f"  {sid:26} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
                  f"(tp {s['tp']} fp {s['fp']} fn {s['fn']})")
        print(f"corpus: {report['documents']} documents -> {report['obligations']} obligations, {report['terms']} terms; "
              f"parse {report['parse_s']} s, extraction {report['extract_s']} s (incl. pipeline build)")
    if args.errors:
        print("\n".join(errors))


if __name__ == "__main__":
    main()
