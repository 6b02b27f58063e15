"""Ingest benchmark: time to parse the whole corpus (target < 10 s on the 2-core dev machine), documents/s,
provisions/s, the cached re-run, and peak memory.

    python bench/ingest_bench.py                      # the corpus (YIGUI_CORPUS)
    python bench/ingest_bench.py --corpus DIR         # any folder, e.g. a synthetic one from bench/synth.py
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Stopwatch, peak_rss_mb, throughput, write_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="folder to ingest (default: the corpus)")
    ap.add_argument("--repeat", type=int, default=3, help="cold runs to time (best and mean are reported)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["YIGUI_CACHE"] = cache  # a private cache: cold runs really parse, the warm run really hits
        from ingest.pipeline import ingest_paths

        paths = [args.corpus] if args.corpus else None
        with Stopwatch() as first:  # includes imports warming (cn2an, pydantic models)
            res = ingest_paths(paths, progress=False, use_cache=False)
        if res.errors:
            print("errors:", *map(str, res.errors), sep="\n  ")
        cold = []
        for _ in range(args.repeat):
            with Stopwatch() as sw:
                res = ingest_paths(paths, progress=False, use_cache=False)
            cold.append(sw.seconds)
        ingest_paths(paths, progress=False)  # fill the cache
        with Stopwatch() as warm:
            again = ingest_paths(paths, progress=False)
    docs = len(res.documents)
    provs = sum(len(pd.provisions) for pd in res.documents)
    chars = sum(len(p.text) for pd in res.documents for p in pd.provisions if p.parent_id is None)
    best = min(cold)
    data = {
        "corpus": str(args.corpus.name) if args.corpus else "corpus",
        "documents": docs, "provisions": provs, "errors": len(res.errors), "top_level_chars": chars,
        "first_run_s": round(first.seconds, 3), "cold_best_s": round(best, 3),
        "cold_mean_s": round(sum(cold) / len(cold), 3), "cached_run_s": round(warm.seconds, 3),
        "cached_unchanged": len(again.unchanged),
        "documents_per_s": throughput(docs, best), "provisions_per_s": throughput(provs, best),
        "peak_rss_mb": round(peak_rss_mb(), 1), "target_s": 10.0, "meets_target": best < 10.0,
    }
    for k, v in data.items():
        print(f"{k:18} {v}")
    print("written:", write_result("ingest" if not args.corpus else f"ingest-{args.corpus.name}", data))


if __name__ == "__main__":
    main()
