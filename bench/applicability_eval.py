"""Applicability on the project's profiles (corpus/eval/applicability_profiles.yaml): precision and recall of the
applicable set against the hand-checked expectations, per split (the README reports TEST, TRAIN beside it).

    python bench/applicability_eval.py [--split train|test|all] [--show] [--out bench/results/applicability.json]

Recall: share of `must` articles with at least one applicable row. Precision: among the expected articles that
appear (must or must_not), the share that are `must` — an applicable `must_not` row is a false positive. Rows the
expectations do not mention are not scored (they are listed with --show for reading). Timing: p50/p95 per profile.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("YIGUI_PROGRESS", "0")


def _has(cites: list[str], art: str) -> bool:
    return any(c == art or c.startswith(art + "第") for c in cites)


def score(result, case) -> dict:
    cites = result.citations
    must = [a for a in case["must"]]
    must_not = [a for a in case["must_not"]]
    tp = [a for a in must if _has(cites, a)]
    fp = [a for a in must_not if _has(cites, a)]
    return {"name": case["profile"]["name"], "split": case["split"], "rows": len(cites),
            "recall": len(tp) / len(must) if must else 1.0,
            "precision": len(tp) / (len(tp) + len(fp)) if tp or fp else 1.0,
            "missed": [a for a in must if a not in tp], "false_positives": fp,
            "not_loaded": [x["id"] for x in result.not_loaded]}


def main() -> None:
    import yaml

    from graph.applicability import Profile
    from ui.core import Core

    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=["train", "test", "all"])
    ap.add_argument("--show", action="store_true", help="print each profile's rows with why")
    ap.add_argument("--out")
    args = ap.parse_args()
    cases = yaml.safe_load((REPO / "corpus/eval/applicability_profiles.yaml").read_text(encoding="utf-8"))["profiles"]
    core = Core()
    out, times = [], []
    for case in cases:
        if args.split != "all" and case["split"] != args.split:
            continue
        t0 = time.perf_counter()
        res = core.applicable(Profile(**case["profile"]))
        times.append((time.perf_counter() - t0) * 1000)
        s = score(res, case)
        out.append(s)
        print(f"[{s['split']}] {s['name']}: {s['rows']} rows, recall {s['recall']:.2f}, precision "
              f"{s['precision']:.2f}; missed {s['missed']}; false positives {s['false_positives']}")
        if args.show:
            for r in res.rows:
                print(f"    {r.obligation.citation}  {r.obligation.requirement_zh[:50]}  <- {r.why[-1][:90]}")
            for e in res.excluded:
                print(f"    excluded {e.count} by {e.gate}: {e.examples[:3]}")
    summary = {}
    for split in ("train", "test"):
        xs = [s for s in out if s["split"] == split]
        if xs:
            summary[split] = {"profiles": len(xs), "recall": round(statistics.mean(s["recall"] for s in xs), 3),
                              "precision": round(statistics.mean(s["precision"] for s in xs), 3)}
    times.sort()
    summary["ms_p50"] = round(statistics.median(times), 1) if times else None
    summary["ms_p95"] = round(times[min(len(times) - 1, int(0.95 * len(times)))], 1) if times else None
    print(json.dumps(summary, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "profiles": out}, ensure_ascii=False, indent=1),
                                  encoding="utf-8")
    core.close()


if __name__ == "__main__":
    main()
