"""Duty -> penalty links (PENALIZES) against a hand-checked gold list (corpus/eval/penalty_links.jsonl: 152 pairs
over PIPL, DSL, MDSR 2024 and 网络数据安全管理条例, written from the statutes alone before the links were reviewed).

A pair is (duty article, penalty article): a predicted link from a penalty provision (or its paragraph/item) to a
duty provision (or its paragraph/item) counts as the pair of their articles. Precision is judged on the four
statutes' links only. Recall and precision per kind (explicit / descriptive / general) and overall.

    python bench/penalty_links_eval.py [--json] [--errors]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLD = ROOT / "corpus" / "eval" / "penalty_links.jsonl"
DOCS = ("pipl", "dsl", "mdsr-2024", "network-data-reg")


def article(pid: str) -> str:
    m = re.match(r"^(.*?/art\d+)", pid)
    return m.group(1) if m else pid


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    from bench.obligations_eval import parse_corpus
    from graph import penalties

    gold_rows = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    gold = {(article(g["duty"]), article(g["penalty"])): g["kind"] for g in gold_rows}
    docs = parse_corpus()
    res = penalties.extract(docs, only=set(DOCS))
    pred: dict[tuple[str, str], str] = {}
    for e in res.edges:
        if e["type"] == "PENALIZES" and e["src"].split("/")[0] in DOCS and e["dst"].split("/")[0] == e["src"].split("/")[0]:
            pred.setdefault((article(e["dst"]), article(e["src"])), e["props"].get("method", "explicit"))
    tp = set(gold) & set(pred)
    report = {"gold_pairs": len(gold), "predicted_pairs": len(pred), "matched": len(tp),
              "recall": round(len(tp) / len(gold), 3), "precision": round(len(tp) / len(pred), 3) if pred else None,
              "recall_by_kind": {}, "by_document": {}}
    kinds = Counter(gold.values())
    for k, n in kinds.items():
        report["recall_by_kind"][k] = round(sum(1 for p in tp if gold[p] == k) / n, 3)
    for d in DOCS:
        g = {p for p in gold if p[0].startswith(d + "/")}
        pr = {p for p in pred if p[0].startswith(d + "/")}
        report["by_document"][d] = {"gold": len(g), "predicted": len(pr), "matched": len(g & pr)}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"gold {len(gold)} pairs, predicted {len(pred)}, matched {len(tp)}: recall {report['recall']} "
              f"precision {report['precision']}; recall by kind {report['recall_by_kind']}")
        for d, c in report["by_document"].items():
            print(f"  {d:18} gold {c['gold']:3}  predicted {c['predicted']:3}  matched {c['matched']:3}")
    if args.errors:
        for p in sorted(set(gold) - tp):
            print(f"missed  {p[0]} <- {p[1]} ({gold[p]})")
        for p in sorted(set(pred) - tp):
            print(f"extra   {p[0]} <- {p[1]} ({pred[p]})")


if __name__ == "__main__":
    main()
