"""Query latency with the process's BLAS threads at the machine default against one (YIGUI_BLAS_THREADS), same run.

    python bench/blas_threads.py [--queries 100]

Per question (TRAIN questions, every fifth): the query embedding alone, the embedding right after a clause-matrix
product (what `search` does for every question), and the whole warm `search`; p50/p95 in ms for BLAS threads =
the default (cores) and = 1. Why it matters: an OpenBLAS thread left spinning after a product competes with the
embedder's own thread on a 2-core machine. Results: bench/results/blas_threads.json.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import summarize, write_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=100)
    a = ap.parse_args()
    import os

    os.environ.setdefault("YIGUI_PROGRESS", "0")
    from threadpoolctl import threadpool_info, threadpool_limits

    from bench.qa_split_eval import load
    from qa.service import get_retriever

    default = max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)
    r = get_retriever().warm_up()
    qs = [o["q"] for o in load("train")][::5][: a.queries]
    emb = r.embedder

    def timed(f) -> dict:
        ts = []
        for q in qs:
            t0 = time.perf_counter()
            f(q)
            ts.append(time.perf_counter() - t0)
        return summarize(ts)

    def embed_then_product(q):
        v = emb.query([q])[0]
        return r.E @ v

    def search(q):
        r._qcache.clear()
        return r.search(q, k=10)

    out = {"queries": len(qs), "clauses": int(r.n)}
    for threads in (default, 1):
        with threadpool_limits(limits=threads, user_api="blas"):
            for q in qs[:10]:
                search(q)
            out[f"blas_{threads}"] = {"embed": timed(lambda q: emb.query([q])),
                                      "embed_after_product": timed(embed_then_product), "search": timed(search)}
        print(threads, {k: (v["p50_ms"], v["p95_ms"]) for k, v in out[f"blas_{threads}"].items()}, flush=True)
    write_result("blas_threads", out)


if __name__ == "__main__":
    main()
