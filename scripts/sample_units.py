"""Draw the articles of the unit-level annotation (corpus/eval/units_{train,test}.jsonl) and write annotation
batches: each article's provisions (id, kind, text) under its document and chapter.

Articles are drawn once, with a fixed seed, from every Chinese corpus document except the 附则 chapter; the split of
an article is fixed by a hash of its id (so TRAIN and TEST never share an article), never by what the extractor
does on it. Guideline sections count as articles.

    python scripts/sample_units.py OUT_DIR [--test 80] [--train 70] [--batches 4]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def split_of(article_id: str) -> str:
    return "test" if int(hashlib.sha1(article_id.encode()).hexdigest(), 16) % 2 else "train"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--test", type=int, default=80)
    ap.add_argument("--train", type=int, default=70)
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--round", type=int, default=1, help="round 2+: draw more articles, none drawn before (the "
                    ".ids files in OUT), only articles with a modal word (应当/不得/可以/有权) outside 法律责任")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from bench.obligations_eval import parse_corpus

    docs = [pd for pd in parse_corpus() if pd.document.current]
    rng = random.Random(20261202 + args.round - 1)
    before = {x for f in args.out.glob("*.ids") for x in f.read_text().split()} if args.round > 1 else set()
    pools: dict[str, dict[str, list]] = {"test": {}, "train": {}}
    for pd in docs:
        tops = [p for p in pd.provisions if p.kind == "article" or (p.kind == "section" and p.parent_id is None)]
        for p in tops:
            if any("附则" in h for h in p.path or []) or len(p.text) < 20 or p.id in before:
                continue
            if args.round > 1 and (any("法律责任" in h or "罚则" in h for h in p.path or [])
                                   or not any(w in p.text for w in ("应当", "不得", "可以", "有权", "禁止"))):
                continue
            pools[split_of(p.id)].setdefault(pd.document.id, []).append(p)
    chosen: dict[str, list] = {}
    for split, want in (("test", args.test), ("train", args.train)):
        pool = pools[split]
        ids = sorted(pool)
        rng.shuffle(ids)
        picked: list = []
        first = 2 if args.round == 1 else 1
        for d in ids:  # two per document first (one in later rounds), then the rest at random
            picked.extend(rng.sample(pool[d], min(first, len(pool[d]))))
        rest = [p for d in ids for p in pool[d] if p not in picked]
        rng.shuffle(rest)
        picked.extend(rest[: max(0, want - len(picked))])
        chosen[split] = sorted(picked[:want], key=lambda p: (p.doc_id, p.order))
    by_doc = {pd.document.id: pd for pd in docs}
    args.out.mkdir(parents=True, exist_ok=True)
    for split, arts in chosen.items():
        n = args.batches // 2
        for b in range(n):
            part = arts[b::n]
            lines = [f"# batch {split}-r{args.round}-{b + 1}: {len(part)} articles (split: {split})\n"]
            for a in part:
                pd = by_doc[a.doc_id]
                lines.append(f"\n## {a.id}  —  {pd.document.title} ({pd.document.level}) {' > '.join(a.path or [])}")
                for p in pd.provisions:
                    if p.id == a.id or p.id.startswith(a.id + "/"):
                        body = p.text if p.kind != "article" else p.text
                        lines.append(f"- `{p.id}` [{p.kind}] {body}" if p.kind != "article" else
                                     f"- `{p.id}` [article] {p.label}")
            tag = f"{split}_{b + 1}" if args.round == 1 else f"{split}_r{args.round}_{b + 1}"
            (args.out / f"batch_{tag}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
            (args.out / f"batch_{tag}.ids").write_text("\n".join(a.id for a in part) + "\n")
        print(split, len(arts), "articles from", len({a.doc_id for a in arts}), "documents")


if __name__ == "__main__":
    main()
