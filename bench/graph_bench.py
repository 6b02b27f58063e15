"""Graph store benchmark on the local ArcadeDB server: server start time and resident memory, load time of the
whole corpus through graph.build, and p50/p95 of the obligation filter, the neighbourhood query, full-text and
vector search.

    python bench/graph_bench.py                 # fresh server in a temporary YIGUI_HOME; results in bench/results/graph.json
    python bench/graph_bench.py --embed         # also load embeddings (from the embedding cache; slow when cold)
    python bench/graph_bench.py --repeat 200    # more samples per query
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RssSampler, Stopwatch, rss_mb, summarize, write_result  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=100, help="samples per query kind")
    ap.add_argument("--embed", action="store_true", help="load embeddings too (uses the embedding cache)")
    ap.add_argument("--heap", default=os.environ.get("YIGUI_DB_HEAP", "1g"), help="server heap (-Xmx)")
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="yigui-graph-bench-"))
    os.environ["YIGUI_HOME"] = str(home)
    from graph.build import build
    from graph.queries import Queries
    from graph.server import ensure_server, stop_server
    from graph.store import GraphStore

    out: dict = {"heap": args.heap}
    try:
        # -- server start (cold: new data directory; warm: existing data) and idle memory
        starts = []
        for i in range(2):
            with Stopwatch() as sw:
                info = ensure_server(home, heap=args.heap)
            starts.append(round(sw.seconds, 2))
            if i == 0:
                time.sleep(1.0)
                out["rss_idle_mb"] = rss_mb(info.pid)
                stop_server(home)
        out["server_start_s"] = {"cold": starts[0], "warm": starts[1]}

        store = GraphStore.on_server(info)
        # -- load the whole corpus (parse + load + cross-references + obligations [+ embeddings])
        with RssSampler(info.pid) as sampler:
            with Stopwatch() as sw:
                rep = build(None, store, progress=False, embed=args.embed, extract=True)
        out["load"] = {"total_s": round(sw.seconds, 2), "timings": rep.timings, "documents": rep.documents,
                       "store": rep.counts, "embeddings": rep.embeddings}
        out["rss_after_load_mb"] = rss_mb(info.pid)
        out["rss_peak_during_load_mb"] = sampler.peak_mb
        with Stopwatch() as sw:
            again = build(None, store, progress=False, embed=args.embed, extract=True)
        out["reload_unchanged_s"] = round(sw.seconds, 2)
        out["reload_skipped"] = len(again.skipped)

        q = Queries(store)
        rng = random.Random(7)
        from corpus import taxonomy

        actors = list(taxonomy.actors().ids())
        stages = list(taxonomy.stages().ids())
        docs = [d["id"] for d in q.documents() if d.get("lang") == "zh"]
        articles = [r["id"] for r in q.all_provisions(current_only=True, kinds=["article"])]

        def timed(fn, make_args, n):
            fn(**make_args())  # warm-up
            samples = []
            for _ in range(n):
                kw = make_args()
                t0 = time.perf_counter()
                fn(**kw)
                samples.append(time.perf_counter() - t0)
            return summarize(samples)

        out["obligation_filter"] = timed(q.obligations, lambda: {
            "actor": rng.choice(actors), "stage": rng.choice([None] + stages),
            "modality": rng.choice([None, "obligation", "prohibition"]), "limit": 100}, args.repeat)
        out["obligation_filter_by_doc"] = timed(q.obligations, lambda: {"doc": rng.choice(docs), "limit": 100},
                                                args.repeat)
        out["neighbourhood"] = timed(q.neighbourhood, lambda: {"provision_id": rng.choice(articles)}, args.repeat)
        words = ["单独同意", "个人信息", "医疗器械注册", "数据出境", "不良事件", "网络安全", "临床评价", "召回", "算法", "罚款"]
        out["fulltext"] = timed(q.fulltext, lambda: {"q": rng.choice(words), "k": 10}, args.repeat)
        out["resolve_citation"] = timed(q.resolve_citation, lambda: {"text": f"《数据安全法》第{rng.randint(1, 55)}条"},
                                        args.repeat)
        if args.embed:
            vecs = [r["embedding"] for r in q.all_provisions(kinds=["article"], with_embeddings=True)
                    if r.get("embedding")]
            out["vector"] = timed(q.vector, lambda: {"embedding": rng.choice(vecs), "k": 10}, args.repeat)
        out["rss_after_queries_mb"] = rss_mb(info.pid)
        store.close()
    finally:
        stop_server(home)
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    path = write_result("graph", out)
    import json

    print(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
