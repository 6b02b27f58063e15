"""ArcadeDB vs Neo4j: the two graph backends measured side by side in one run, on the same corpus, with the same
queries (same seed, same argument sequence).

For each corpus size (--factors; 1 = the real corpus, N > 1 = bench/synth.py's N× synthetic corpus) and each backend
(--backends), in a fresh temporary YIGUI_HOME with its own local server (graph.server for ArcadeDB,
graph.neo4j_server for Neo4j 5):
  server    start time cold (new data directory), warm (restart over that directory, still empty) and after the
            load (restart over the loaded database); resident memory of the java process idle, peak during the
            load, after the load and after the queries; database size on disk
  load      graph.build.build (parse, load, cross-references [, obligations] [, embeddings]), stage by stage.
            Real corpus: extract=True, embed=True (vectors from the shared content-hash cache, warmed once before
            any backend is timed so both read the cache). Synthetic sizes: load-only by default (--extract-upto,
            --embed-upto), as bench/scale.py does at 20×. The corpus is parsed once before the backends (parse
            cache warm for both)
  queries   --repeat sequential warm samples each (p50/p95): obligation filter (random actor/stage/modality),
            neighbourhood of a random article, citation lookup, full-text (graph CJK index), vector k=10 (stored
            article embeddings as queries; only where vectors were loaded)
  agreement every timed call's answer is kept (ids) and compared between the backends: identical, same set,
            mean Jaccard of the id sets
  sanity    a handful of fixed queries (full-text '单独同意', resolve_citation '《个人信息保护法》第二十九条',
            obligations of one actor, …) and the node/edge counts, compared between the backends

Usage:  python bench/stores.py [--factors 1,20] [--repeat 100] [--backends arcadedb,neo4j] [--heap 1g]
                               [--heap-scale 3g] [--extract-upto 1] [--embed-upto 1]
Results: bench/results/stores.json and stores.md (written after every size/backend, so a run killed late keeps what
it measured).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (RESULTS, ROOT, RssSampler, Stopwatch, markdown_table,  # noqa: E402
                          rss_mb, summarize, write_result)

BACKENDS = ("arcadedb", "neo4j")
LABEL = {"arcadedb": "ArcadeDB", "neo4j": "Neo4j"}


def _cache_label() -> str:
    """Where the caches were, without a machine path in the committed results."""
    repo_cache = (ROOT / ".yigui" / "cache").resolve()
    return "repo .yigui/cache" if Path(os.environ["YIGUI_CACHE"]).resolve() == repo_cache else "YIGUI_CACHE"


QUERY_KINDS = ("obligation_filter", "neighbourhood", "resolve_citation", "fulltext", "vector")
WORDS = ["单独同意", "个人信息", "医疗器械注册", "数据出境", "不良事件", "网络安全", "临床评价", "召回", "算法", "罚款"]


def say(msg: str) -> None:
    print(time.strftime("%H:%M:%S ") + msg, flush=True)


def loadavg() -> list[float] | None:
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


def du_mb(path: Path) -> float | None:
    if not path.exists():
        return None
    total = 0
    for p in path.rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
    return round(total / 2**20, 1)


# ---------------------------------------------------------------------------------------------- servers


class Backend:
    """Start/stop/connect for one backend in one YIGUI_HOME."""

    def __init__(self, name: str, home: Path, heap: str, pagecache: str):
        self.name, self.home, self.heap, self.pagecache = name, home, heap, pagecache

    def start(self):
        if self.name == "arcadedb":
            from graph.server import ensure_server

            return ensure_server(self.home, heap=self.heap)
        from graph.neo4j_server import ensure_neo4j

        return ensure_neo4j(self.home, heap=self.heap, pagecache=self.pagecache)

    def stop(self) -> bool:
        if self.name == "arcadedb":
            from graph.server import stop_server

            return stop_server(self.home)
        from graph.neo4j_server import stop_neo4j

        return stop_neo4j(self.home)

    def connect(self, info):
        from graph.store import GraphStore

        if self.name == "arcadedb":
            return GraphStore.on_server(info)
        return GraphStore.connect(info.uri, info.user, info.password, info.database)

    def data_dir(self) -> Path:
        return self.home / "arcadedb" / "databases" if self.name == "arcadedb" else self.home / "neo4j" / "data"


# ---------------------------------------------------------------------------------------------- answers


def _ids(rows) -> list[str]:
    return [r["id"] if isinstance(r, dict) else r.id for r in rows or []]


def answer_key(kind: str, res):
    """What a call answered, as comparable plain data (ids, never text)."""
    if kind in ("fulltext", "vector", "obligation_filter"):
        return _ids(res)
    if kind == "resolve_citation":
        return None if res is None else res.id
    if kind == "neighbourhood":
        if res is None:
            return None
        return {"cites": sorted({f"{c.via}>{c.id}" for c in res.cites}),
                "cited_by": sorted({f"{c.id}>{c.target}" for c in res.cited_by}),
                "penalties": sorted({f"{c.id}>{c.target}" for c in res.penalties}),
                "sanctions": sorted({f"{c.via}>{c.id}" for c in res.sanctions}),
                "obligations": sorted(o.id for o in res.obligations),
                "translation": res.translation.id if res.translation else None,
                "versions": sorted(f"{v.doc_id}:{v.provision.id if v.provision else ''}" for v in res.versions)}
    return res


def _flat(key) -> set[str]:
    if key is None:
        return set()
    if isinstance(key, str):
        return {key}
    if isinstance(key, dict):
        return {f"{k}:{x}" for k, v in key.items() for x in ([v] if isinstance(v, str) or v is None else v)}
    return set(key)


def compare(a, b) -> dict:
    """Two answers: identical (order included), same set, Jaccard of the id sets, sizes."""
    sa, sb = _flat(a), _flat(b)
    union = sa | sb
    return {"identical": a == b, "same_set": sa == sb,
            "jaccard": round(len(sa & sb) / len(union), 3) if union else 1.0, "n": [len(sa), len(sb)]}


def _tie_groups(ids: list[str], scores: list[float]) -> list[set[str]]:
    """Consecutive ids of equal score (4 decimals): an article and its only paragraph score the same, and so do
    the synthetic corpus's copies of one clause."""
    groups: list[set[str]] = []
    last = None
    for i, sc in zip(ids, scores):
        sc = round(sc, 4)
        if groups and sc == last:
            groups[-1].add(i)
        else:
            groups.append({i})
        last = sc
    return groups


def same_up_to_ties(ids_a, scores_a, ids_b, scores_b) -> bool:
    """The same ranking once ids of equal score may come in any order, and the last tie group (cut by LIMIT k) may
    hold different members of the tie."""
    if ids_a == ids_b:
        return True
    ga, gb = _tie_groups(ids_a, scores_a), _tie_groups(ids_b, scores_b)
    if len(ga) != len(gb) or not ga:
        return ga == gb
    return ga[:-1] == gb[:-1] and len(ga[-1]) == len(gb[-1])


def agreement(keys_a: list, keys_b: list, scores_a: list | None = None, scores_b: list | None = None) -> dict:
    n = min(len(keys_a), len(keys_b))
    if n == 0:
        return {"n": 0}
    cs = [compare(keys_a[i], keys_b[i]) for i in range(n)]
    out = {"n": n, "identical": sum(c["identical"] for c in cs), "same_set": sum(c["same_set"] for c in cs),
           "mean_jaccard": round(sum(c["jaccard"] for c in cs) / n, 3),
           "empty_both": sum(1 for i in range(n) if not _flat(keys_a[i]) and not _flat(keys_b[i]))}
    if scores_a and scores_b:
        out["same_up_to_ties"] = sum(same_up_to_ties(keys_a[i], scores_a[i], keys_b[i], scores_b[i])
                                     for i in range(n))
    return out


# ---------------------------------------------------------------------------------------------- the query plan


def make_plan(store, q, repeat: int, seed: int, factor: int, with_vectors: bool) -> dict:
    """The argument sequence of every timed query kind, drawn once per size (from the first backend's store, in
    sorted id order) and replayed on every backend."""
    from corpus import taxonomy

    rng = random.Random(f"{seed}:{factor}")
    actors = sorted(taxonomy.actors().ids())
    stages = sorted(taxonomy.stages().ids())
    arts = sorted((r["id"], r["c"]) for r in store.run(
        "MATCH (p:Provision) WHERE p.kind = 'article' AND p.lang = 'zh' RETURN p.id AS id, p.citation AS c"))
    n = repeat + 1  # one warm-up call first
    plan: dict = {"obligation_filter": [
        {"actor": rng.choice(actors), "stage": rng.choice([None] + stages),
         "modality": rng.choice([None, "obligation", "prohibition"]), "limit": 100} for _ in range(n)]}
    plan["neighbourhood"] = [{"provision_id": rng.choice(arts)[0]} for _ in range(n)]
    # citations as the store writes them (《个人信息保护法》第二十九条) of random zh articles; the synthetic corpus's
    # titles carry a 〔合成N〕 marker the citation registry does not know, so there the lookup takes the provision-id
    # form resolve_citation also accepts (one id lookup) — marked in the results
    if factor == 1:
        plan["resolve_citation"] = [{"text": c} for c in (rng.choice(arts)[1] for _ in range(n)) if c] or []
        plan["citation_form"] = "citation text (《…》第…条) of random zh articles"
    else:
        plan["resolve_citation"] = [{"text": rng.choice(arts)[0]} for _ in range(n)]
        plan["citation_form"] = "provision id of random zh articles (synthetic titles are not in the citation registry)"
    plan["fulltext"] = [{"q": rng.choice(WORDS), "k": 10} for _ in range(n)]
    if with_vectors:
        vecs = [r["embedding"] for r in sorted(q.all_provisions(kinds=["article"], with_embeddings=True),
                                               key=lambda r: r["id"]) if r.get("embedding")]
        if vecs:
            plan["vector"] = [{"embedding": list(rng.choice(vecs)), "k": 10} for _ in range(n)]
    plan["articles"] = len(arts)
    plan["digest"] = hashlib.sha256(json.dumps({k: v for k, v in plan.items() if k != "vector"}, sort_keys=True,
                                               ensure_ascii=False).encode()).hexdigest()[:16]
    return plan


def timed(fn, calls: list[dict], kind: str) -> tuple[dict, list, list | None]:
    """First call is the warm-up; then each call timed alone; the answers (ids, and scores of ranked kinds) kept for
    the agreement check. The summary has a `nonempty` part: the calls that found something."""
    fn(**calls[0])
    samples, keys, scores = [], [], []
    for kw in calls[1:]:
        t0 = time.perf_counter()
        res = fn(**kw)
        samples.append(time.perf_counter() - t0)
        keys.append(answer_key(kind, res))
        if kind in ("fulltext", "vector"):
            scores.append([float(r["score"]) for r in res])
    s = summarize(samples)
    s["nonempty"] = summarize([t for t, k in zip(samples, keys) if _flat(k)])
    slow = sorted(range(len(samples)), key=lambda i: -samples[i])[:5]  # which arguments the tail is made of
    s["slowest"] = [{"ms": round(samples[i] * 1000, 1), "results": len(_flat(keys[i])),
                     "args": {k: v for k, v in calls[i + 1].items() if k != "embedding"}} for i in slow]
    return s, keys, scores or None


SANITY = [
    *((f"fulltext '{w}' k=10", "fulltext", {"q": w, "k": 10}) for w in WORDS),
    ("resolve_citation '《个人信息保护法》第二十九条'", "resolve_citation", {"text": "《个人信息保护法》第二十九条"}),
    ("resolve_citation '《数据安全法》第四十五条'", "resolve_citation", {"text": "《数据安全法》第四十五条"}),
    ("obligations actor=pi-handler (limit 2000)", "obligation_filter", {"actor": "pi-handler", "limit": 2000}),
    ("obligations actor=md-registrant stage=post-market (limit 2000)", "obligation_filter",
     {"actor": "md-registrant", "stage": "post-market", "limit": 2000}),
    ("neighbourhood pipl/art29", "neighbourhood", {"provision_id": "pipl/art29"}),
    ("vector k=10 (pipl/art29's embedding)", "vector", None),
]


def sanity(store, q, factor: int, extract: bool) -> dict:
    """The fixed queries' answers on this backend (compared between backends afterwards). Synthetic sizes: ids
    get their copy's prefix (syn1-pipl/art29), citations are not resolvable there (marked titles)."""
    fns = {"fulltext": q.fulltext, "resolve_citation": q.resolve_citation, "obligation_filter": q.obligations,
           "neighbourhood": q.neighbourhood, "vector": q.vector}
    out: dict = {}
    pre = "" if factor == 1 else "syn1-"
    for label, kind, kw in SANITY:
        if kind == "obligation_filter" and not extract:
            continue
        if pre:
            label = label.replace("pipl/art29", pre + "pipl/art29")
            if kw and "provision_id" in kw:
                kw = {**kw, "provision_id": pre + kw["provision_id"]}
        try:
            if kind == "vector":
                rows = store.run("MATCH (p:Provision {id: $id}) RETURN p.embedding AS e", id=pre + "pipl/art29")
                if not rows or not rows[0]["e"]:
                    out[label] = {"skipped": "no embedding stored"}
                    continue
                kw = {"embedding": list(rows[0]["e"]), "k": 10}
            res = fns[kind](**kw)
            out[label] = {"answer": answer_key(kind, res)}
            if kind in ("fulltext", "vector"):  # to tell a different order among equal scores from a different score
                out[label]["scores"] = [round(r["score"], 4) for r in res]
        except Exception as exc:  # noqa: BLE001 - a failing query is a finding
            out[label] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


# ---------------------------------------------------------------------------------------------- one run


def run_one(backend: str, factor: int, paths, work: Path, args, plans: dict, keys_out: dict) -> dict:
    from graph.build import build
    from graph.queries import Queries

    heap = args.heap if factor == 1 else args.heap_scale
    embed = factor <= args.embed_upto
    extract = factor <= args.extract_upto
    home = work / f"{backend}-x{factor}"
    home.mkdir(parents=True, exist_ok=True)
    os.environ["YIGUI_HOME"] = str(home)
    be = Backend(backend, home, heap, args.pagecache)
    out: dict = {"backend": backend, "factor": factor, "heap": heap, "embed": embed, "extract": extract,
                 "loadavg_start": loadavg()}
    if backend == "neo4j":
        out["pagecache"] = args.pagecache
    store = None
    try:
        # -- start: cold (new data dir), then warm (restart over the same, still empty, directory)
        with Stopwatch() as sw:
            info = be.start()
        out["start_cold_s"] = round(sw.seconds, 2)
        time.sleep(1.0)
        out["rss_idle_mb"] = rss_mb(info.pid)
        be.stop()
        with Stopwatch() as sw:
            info = be.start()
        out["start_warm_s"] = round(sw.seconds, 2)
        say(f"  {LABEL[backend]} {factor}×: start cold {out['start_cold_s']} s, warm {out['start_warm_s']} s, "
            f"idle {out['rss_idle_mb']} MiB")

        # -- load
        store = be.connect(info)
        with RssSampler(info.pid) as sampler, Stopwatch() as sw:
            rep = build(paths, store, progress=False, embed=embed, extract=extract)
        out["load"] = {"total_s": round(sw.seconds, 2), "timings": rep.timings, "documents": rep.documents,
                       "provisions": sum(rep.provisions.values()), "provisions_by_kind": rep.provisions,
                       "obligations": rep.obligations, "terms": rep.terms, "embeddings": rep.embeddings,
                       "errors": [str(e)[:300] for e in rep.errors][:5], "store": rep.counts}
        out["rss_peak_load_mb"] = sampler.peak_mb
        out["rss_after_load_mb"] = rss_mb(info.pid)
        say(f"  {LABEL[backend]} {factor}×: loaded {rep.documents} documents, {out['load']['provisions']} provisions "
            f"in {out['load']['total_s']} s {rep.timings}; peak {sampler.peak_mb} MiB"
            + (f"; ERRORS {out['load']['errors']}" if rep.errors else ""))

        # -- queries
        q = Queries(store)
        if factor not in plans:
            plans[factor] = make_plan(store, q, args.repeat, args.seed, factor, with_vectors=embed)
        plan = plans[factor]
        out["plan_digest"] = plan["digest"]
        out["citation_form"] = plan["citation_form"]
        fns = {"obligation_filter": q.obligations, "neighbourhood": q.neighbourhood,
               "resolve_citation": q.resolve_citation, "fulltext": q.fulltext, "vector": q.vector}
        lat: dict = {}
        keys: dict = {}
        for kind in QUERY_KINDS:
            if kind == "obligation_filter" and not extract:
                lat[kind] = {"skipped": "no obligations extracted at this size"}
                continue
            if kind not in plan or not plan[kind]:
                lat[kind] = {"skipped": "no vectors loaded at this size" if kind == "vector" else "no arguments"}
                continue
            try:
                with Stopwatch() as sw:
                    lat[kind], keys[kind], sc = timed(fns[kind], plan[kind], kind)
                if sc:
                    keys[kind + "_scores"] = sc
                lat[kind]["wall_s"] = round(sw.seconds, 1)
                say(f"    {kind:18s} p50 {lat[kind]['p50_ms']:>9} ms  p95 {lat[kind]['p95_ms']:>9} ms")
            except Exception as exc:  # noqa: BLE001 - a query failing on one backend is a finding
                lat[kind] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
                say(f"    {kind:18s} FAILED {lat[kind]['error']}")
        out["latency"] = lat
        if "resolve_citation" in keys:
            out["resolve_citation_hits"] = sum(1 for k in keys["resolve_citation"] if k)
        out["rss_after_queries_mb"] = rss_mb(info.pid)
        out["sanity"] = sanity(store, q, factor, extract)
        keys_out[(backend, factor)] = keys
        store.close()
        store = None

        # -- restart over the loaded database
        out["disk_mb"] = du_mb(be.data_dir())
        with contextlib.suppress(OSError):
            out["disk_mb_by_dir"] = {p.name: du_mb(p) for p in sorted(be.data_dir().iterdir()) if p.is_dir()}
        be.stop()
        with Stopwatch() as sw:
            info = be.start()
        out["start_loaded_s"] = round(sw.seconds, 2)
        time.sleep(1.0)
        out["rss_idle_loaded_mb"] = rss_mb(info.pid)
        say(f"  {LABEL[backend]} {factor}×: restart over the loaded database {out['start_loaded_s']} s, idle "
            f"{out['rss_idle_loaded_mb']} MiB, disk {out['disk_mb']} MiB")
    except Exception as exc:  # noqa: BLE001 - the other backend/size is still worth having
        out["error"] = f"{type(exc).__name__}: {exc}"[:1500]
        out["traceback"] = traceback.format_exc()[-3000:]
        say(f"  {LABEL[backend]} {factor}× FAILED: {out['error']}")
    finally:
        if store is not None:
            with contextlib.suppress(Exception):
                store.close()
        with contextlib.suppress(Exception):
            be.stop()
        out["loadavg_end"] = loadavg()
        shutil.rmtree(home, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------- report


def _cmp_sanity(a: dict, b: dict) -> dict:
    out = {}
    for label in {**a, **b}:
        x, y = a.get(label, {}), b.get(label, {})
        if "answer" in x and "answer" in y:
            c = compare(x["answer"], y["answer"])
            if not c["same_set"]:
                sa, sb = _flat(x["answer"]), _flat(y["answer"])
                c["only_first"] = sorted(sa - sb)[:10]
                c["only_second"] = sorted(sb - sa)[:10]
            if "scores" in x and "scores" in y:
                c["same_up_to_ties"] = same_up_to_ties(x["answer"], x["scores"], y["answer"], y["scores"])
            if isinstance(x["answer"], list) and not c["identical"]:
                c["first"], c["second"] = x["answer"][:10], y["answer"][:10]
                if "scores" in x and "scores" in y:
                    c["scores_first"], c["scores_second"] = x["scores"][:10], y["scores"][:10]
            out[label] = c
        else:
            out[label] = {"first": x, "second": y}
    return out


def _counts_diff(a: dict, b: dict) -> dict:
    return {k: [a.get(k), b.get(k)] for k in sorted({*a, *b}) if a.get(k) != b.get(k)}


def cell_lat(r: dict, kind: str) -> str:
    v = (r.get("latency") or {}).get(kind)
    if not v:
        return "—"
    if "error" in v:
        return "error"
    if "skipped" in v:
        return "—"
    return f"{v['p50_ms']:,.1f} / {v['p95_ms']:,.1f}"


def cell_nonempty(r: dict, kind: str) -> str:
    v = ((r.get("latency") or {}).get(kind) or {}).get("nonempty")
    if not v or not v.get("n"):
        return "—"
    return f"{v['p50_ms']:,.1f} / {v['p95_ms']:,.1f} (n={v['n']})"


def fmt(v, nd=1) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def markdown(result: dict) -> str:
    runs = result["runs"]
    cols = [(b, f) for f in result["factors"] for b in result["backends"]]
    names = [f"{LABEL[b]} {f}×" for b, f in cols]
    get = lambda b, f: runs.get(f"{b}@{f}", {})  # noqa: E731
    t = lambda r, k: ((r.get("load") or {}).get("timings") or {}).get(k)  # noqa: E731
    measures = [
        ("documents / provisions loaded", lambda r: f"{fmt(r['load']['documents'])} / {fmt(r['load']['provisions'])}"
         if r.get("load") else "—"),
        ("obligations / embeddings stored", lambda r: (f"{fmt(r['load']['obligations']) if r['extract'] else 'not run'}"
                                                       f" / {fmt(r['load']['embeddings']) if r['embed'] else 'not run'}")
         if r.get("load") else "—"),
        ("server heap", lambda r: r.get("heap", "—") + (f" (+ page cache {r['pagecache']})" if r.get("pagecache")
                                                        else "")),
        ("start cold (new data dir), s", lambda r: fmt(r.get("start_cold_s"), 2)),
        ("start warm (restart, empty db), s", lambda r: fmt(r.get("start_warm_s"), 2)),
        ("restart over the loaded db, s", lambda r: fmt(r.get("start_loaded_s"), 2)),
        ("idle RSS fresh server, MiB", lambda r: fmt(r.get("rss_idle_mb"))),
        ("build total, s", lambda r: fmt((r.get("load") or {}).get("total_s"))),
        ("· parse s (cache warm)", lambda r: fmt(t(r, "parse_s"), 2)),
        ("· load documents/provisions s", lambda r: fmt(t(r, "load_s"))),
        ("· cross-references s", lambda r: fmt(t(r, "xref_s"))),
        ("· obligations s", lambda r: fmt(t(r, "obligations_s")) if r.get("extract") else "not run"),
        ("· embeddings (cached) s", lambda r: fmt(t(r, "embed_s")) if r.get("embed") else "not run"),
        ("RSS peak during build, MiB", lambda r: fmt(r.get("rss_peak_load_mb"))),
        ("RSS after build, MiB", lambda r: fmt(r.get("rss_after_load_mb"))),
        ("RSS after queries, MiB", lambda r: fmt(r.get("rss_after_queries_mb"))),
        ("idle RSS after restart (loaded), MiB", lambda r: fmt(r.get("rss_idle_loaded_mb"))),
        ("database on disk, MiB", lambda r: fmt(r.get("disk_mb"))),
        ("obligation filter p50 / p95 ms", lambda r: cell_lat(r, "obligation_filter")),
        ("· obligation filter, calls with a non-empty answer", lambda r: cell_nonempty(r, "obligation_filter")),
        ("neighbourhood p50 / p95 ms", lambda r: cell_lat(r, "neighbourhood")),
        ("citation lookup p50 / p95 ms", lambda r: cell_lat(r, "resolve_citation")),
        ("full-text k=10 p50 / p95 ms", lambda r: cell_lat(r, "fulltext")),
        ("vector k=10 p50 / p95 ms", lambda r: cell_lat(r, "vector")),
        ("load average (1 min) start → end", lambda r: (f"{r['loadavg_start'][0]} → {r['loadavg_end'][0]}"
                                                        if r.get("loadavg_start") and r.get("loadavg_end") else "—")),
    ]
    rows = []
    for label, fn in measures:
        row = {"measure": label}
        for (b, f), name in zip(cols, names):
            r = get(b, f)
            try:
                row[name] = "error" if r.get("error") and not r.get("load") else fn(r) if r else "—"
            except Exception:  # noqa: BLE001
                row[name] = "—"
        rows.append(row)
    m = result["machine"]
    md = [f"# ArcadeDB vs Neo4j (bench/stores.py, {result['when']})", "",
          f"Machine: {m['cores']} cores ({m['cpu']}), {m['mem_gb']} GB, Python {m['python']}, commit {m['commit']}; "
          f"load average (1/5/15 min) at start {result['loadavg_start']}, at end {result.get('loadavg_end')} "
          "(the machine was shared with other jobs). ArcadeDB: graph.server (bundled, SerialGC); Neo4j 5.26 Community "
          f"embedded: graph.neo4j_server (SerialGC). {result['repeat']} samples per query (sequential, warm, after "
          f"one warm-up call), seed {result['seed']}, the same argument sequence on both backends. "
          f"Command: `{result['command']}`; wall time {fmt(result.get('wall_s'), 0)} s.", "",
          markdown_table(rows, ["measure", *names])]
    failed = [f"- {k}: {v['error']}" for k, v in runs.items() if v.get("error")]
    errs = [f"- {k} {kind}: {v['error']}" for k, r in runs.items() for kind, v in (r.get("latency") or {}).items()
            if isinstance(v, dict) and "error" in v]
    if failed or errs:
        md += ["**Failures**", "", *failed, *errs, ""]
    if result.get("agreement"):
        md += ["## Same answers? (every timed call compared between the backends)", ""]
        arow = []
        for f, per in result["agreement"].items():
            for kind, a in per.items():
                if kind.startswith("_") or not a.get("n"):
                    continue
                arow.append({"size": f"{f}×", "query": kind, "calls": a["n"], "identical (order too)": a["identical"],
                             "same ranking up to equal scores": a.get("same_up_to_ties", "—"),
                             "same id set": a["same_set"], "mean Jaccard": a["mean_jaccard"],
                             "empty on both": a["empty_both"]})
        md += [markdown_table(arow) if arow else "(nothing compared)\n"]
        for f, per in result["agreement"].items():
            cd = per.get("_counts_diff")
            md.append(f"- {f}×: node/edge counts " + ("identical on both backends" if not cd else
                                                       "differ: " + json.dumps(cd, ensure_ascii=False)))
            if per.get("_plan_digests"):
                md.append(f"  argument-sequence digests {per['_plan_digests']}")
        md.append("")
    if result.get("sanity"):
        first, second = (LABEL[b] for b in result["backends"][:2])
        md += ["## Sanity check (fixed queries)", ""]
        srow = []
        for f, per in result["sanity"].items():
            for label, c in per.items():
                if "same_set" in c:
                    srow.append({"size": f"{f}×", "query": label, "results (1st / 2nd backend)": f"{c['n'][0]} / {c['n'][1]}",
                                 "identical": c["identical"], "same up to ties": c.get("same_up_to_ties", "—"),
                                 "same set": c["same_set"], "Jaccard": c["jaccard"],
                                 f"only {first}": ", ".join(c.get("only_first", [])[:4]),
                                 f"only {second}": ", ".join(c.get("only_second", [])[:4])})
                else:
                    srow.append({"size": f"{f}×", "query": label, "results (1st / 2nd backend)": "—",
                                 "identical": json.dumps(c, ensure_ascii=False)[:160], "same up to ties": "",
                                 "same set": "", "Jaccard": "",
                                 f"only {first}": "", f"only {second}": ""})
        md += [markdown_table(srow) if srow else "(none)\n"]
    return "\n".join(md) + "\n"


# ---------------------------------------------------------------------------------------------- main


def prewarm_embeddings() -> dict:
    """Fill the content-hash embedding cache for the real corpus before any backend is timed."""
    from graph.embed import embed_provisions, retrieval_needs
    from ingest.pipeline import ingest_paths

    with Stopwatch() as sw:
        res = ingest_paths(None, progress=False)
        vecs = embed_provisions(retrieval_needs(p for pd in res.documents for p in pd.provisions), progress=False,
                                docs={pd.document.id: pd.document for pd in res.documents})
    return {"vectors": len(vecs), "seconds": round(sw.seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--factors", default="1,20", help="corpus sizes: 1 = the real corpus, N = synth.py's N×")
    ap.add_argument("--repeat", type=int, default=100, help="timed samples per query kind")
    ap.add_argument("--backends", default="arcadedb,neo4j")
    ap.add_argument("--heap", default="1g", help="server heap (-Xmx) for the real corpus")
    ap.add_argument("--heap-scale", default="3g", help="server heap for synthetic sizes (scale.py uses 3g)")
    ap.add_argument("--pagecache", default="256m", help="Neo4j page cache (off-heap; graph.neo4j_server's default)")
    ap.add_argument("--extract-upto", type=int, default=1, help="extract obligations for sizes up to this factor")
    ap.add_argument("--embed-upto", type=int, default=1, help="store vectors for sizes up to this factor")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tag", default="", help="suffix of the result files (stores<tag>.json/.md)")
    a = ap.parse_args(argv)
    factors = [int(x) for x in a.factors.split(",") if x.strip()]
    backends = [b.strip() for b in a.backends.split(",") if b.strip()]
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        ap.error(f"unknown backend(s) {bad}: choose from {', '.join(BACKENDS)}")

    t_start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="yigui-stores-"))
    os.environ["YIGUI_HOME"] = str(work / "home")  # before any project import (as graph_bench does)
    os.environ.setdefault("YIGUI_CACHE", str(ROOT / ".yigui" / "cache"))  # shared content-hash cache
    for var in ("NEO4J_URI", "YIGUI_DB_BOLT_PORT"):  # the servers started here pick free loopback ports
        os.environ.pop(var, None)

    result: dict = {"factors": factors, "backends": backends, "repeat": a.repeat, "seed": a.seed, "heap": a.heap,
                    "heap_scale": a.heap_scale, "pagecache": a.pagecache, "extract_upto": a.extract_upto,
                    "embed_upto": a.embed_upto, "cache": _cache_label(),
                    "command": "python bench/stores.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loadavg_start": loadavg(),
                    "runs": {}, "agreement": {}, "sanity": {}}
    name = f"stores{a.tag}"

    def save() -> None:
        result["loadavg_end"] = loadavg()
        result["wall_s"] = round(time.perf_counter() - t_start, 1)
        path = write_result(name, result)
        result["machine"] = json.loads(path.read_text(encoding="utf-8"))["machine"]
        (RESULTS / f"{name}.md").write_text(markdown(result), encoding="utf-8")

    plans: dict = {}
    keys: dict = {}
    try:
        if "neo4j" in backends:
            from graph.neo4j_server import build_launcher

            with Stopwatch() as sw:
                build_launcher()
            result["neo4j_launcher_s"] = round(sw.seconds, 1)
        if 1 in factors and a.embed_upto >= 1:
            say("embedding cache: warming for the real corpus (once, before any backend is timed) …")
            result["prewarm_embeddings"] = prewarm_embeddings()
            say(f"  {result['prewarm_embeddings']}")
        for f in factors:
            paths = None
            synth_dir = None
            if f > 1:
                from bench.synth import synth

                synth_dir = work / f"corpus-x{f}"
                with Stopwatch() as sw:
                    st = synth(f, synth_dir)
                paths = [synth_dir / "zh", synth_dir / "en"]
                result.setdefault("synth", {})[str(f)] = {"files": st.files, "articles": st.articles,
                                                          "chars": st.chars, "seconds": round(sw.seconds, 1)}
            from ingest.pipeline import ingest_paths

            with Stopwatch() as sw:  # parse once: both backends then read the parse cache
                parsed = ingest_paths(paths, progress=False)
            result.setdefault("parse", {})[str(f)] = {"documents": len(parsed.documents),
                                                      "errors": len(parsed.errors), "seconds": round(sw.seconds, 1)}
            del parsed
            say(f"size {f}×: {result['parse'][str(f)]}")
            try:
                for b in backends:
                    say(f"{LABEL[b]} {f}× …")
                    result["runs"][f"{b}@{f}"] = run_one(b, f, paths, work, a, plans, keys)
                    save()
            finally:
                if synth_dir is not None:
                    shutil.rmtree(synth_dir, ignore_errors=True)
            if len(backends) == 2:
                b1, b2 = backends
                r1, r2 = result["runs"].get(f"{b1}@{f}", {}), result["runs"].get(f"{b2}@{f}", {})
                k1, k2 = keys.get((b1, f), {}), keys.get((b2, f), {})
                per = {kind: agreement(k1[kind], k2[kind], k1.get(kind + "_scores"), k2.get(kind + "_scores"))
                       for kind in QUERY_KINDS if kind in k1 and kind in k2}
                per["_counts_diff"] = _counts_diff((r1.get("load") or {}).get("store") or {},
                                                   (r2.get("load") or {}).get("store") or {})
                per["_plan_digests"] = [r1.get("plan_digest"), r2.get("plan_digest")]
                result["agreement"][str(f)] = per
                result["sanity"][str(f)] = _cmp_sanity(r1.get("sanity") or {}, r2.get("sanity") or {})
                save()
    finally:
        from graph.server import stop_server

        for b in backends:  # belt and braces: run_one stops its own servers
            for f in factors:
                with contextlib.suppress(Exception):
                    Backend(b, work / f"{b}-x{f}", a.heap, a.pagecache).stop()
        with contextlib.suppress(Exception):
            stop_server(work / "home")
        shutil.rmtree(work, ignore_errors=True)
        save()
    say(f"written to {RESULTS / (name + '.json')} and {name}.md ({result['wall_s']} s)")
    print((RESULTS / f"{name}.md").read_text(encoding="utf-8"))
    return 0 if not any(r.get("error") for r in result["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
