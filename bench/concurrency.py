"""16 concurrent API clients while a re-ingest runs through the same store, beside the same 16 clients with no
re-ingest (the plain baseline), in one run.

What runs: the REST API (`ui.api.create_app`, the app `yigui serve` runs) under uvicorn on 127.0.0.1 in this
process, over the store `yigui ingest` filled (the default YIGUI_HOME, or NEO4J_URI); client threads each with its
own keep-alive httpx client, half asking a question (`POST /v1/ask`), half listing a document's obligations
(`GET /v1/obligations`). Each response is compared with the answer the same request got before any load: the
figures say how many requests failed and how many answers differed while the re-ingest ran.

The re-ingest: `graph.build.build` of --docs from the corpus; with `--force` every clause, obligation and embedding
of those documents is rewritten and the load generation bumped, so the serving process rebuilds its index (the
worst case); without it the unchanged documents are skipped (what a routine `yigui ingest` does).

Usage:  python bench/concurrency.py [--clients 16] [--baseline-s 20] [--docs pipl,dsl,mdsr-2024] [--force]
Results: bench/results/concurrency.json
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import Stopwatch, summarize, throughput, write_result  # noqa: E402

ASK = ["处理敏感个人信息需要取得个人的单独同意吗？", "What must a medical device registrant do after an adverse event?",
       "医疗器械注册人应当建立哪些质量管理体系？", "向境外提供个人信息需要满足什么条件？"]


def serve(app):
    """uvicorn in a thread on a free loopback port; returns (url, stop)."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)

    def stop():
        server.should_exit = True
        t.join(timeout=30)
    return url, stop


def request(c: httpx.Client, i: int, doc: str):
    if i % 2 == 0:
        q = ASK[(i // 2) % len(ASK)]
        r = c.post("/v1/ask", json={"question": q})
        return ("ask", q), r, ([x["provision_id"] for x in r.json()["citations"]] if r.status_code == 200 else None)
    r = c.get("/v1/obligations", params={"doc": doc, "limit": 500})
    return ("obligations", doc), r, ([o["id"] for o in r.json()["items"]] if r.status_code == 200 else None)


def phase(url: str, key: str, clients: int, doc: str, expected: dict, until) -> dict:
    lat: dict[str, list[float]] = {"ask": [], "obligations": []}
    statuses: Counter = Counter()
    differing: Counter = Counter()
    lock = threading.Lock()

    def client(n: int):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as c:
            i = n
            while not until():
                t0 = time.perf_counter()
                (kind, what), r, got = request(c, i, doc)
                dt = time.perf_counter() - t0
                with lock:
                    lat[kind].append(dt)
                    statuses[r.status_code] += 1
                    if got is not None and got != expected[(kind, what)]:
                        differing[kind] += 1
                i += clients

    with Stopwatch() as sw:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    total = sum(statuses.values())
    return {"seconds": round(sw.seconds, 1), "requests": total, "throughput_rps": throughput(total, sw.seconds),
            "statuses": {str(k): v for k, v in statuses.items()},
            "errors": sum(v for k, v in statuses.items() if k != 200),
            "differing_answers": dict(differing),
            "ask": summarize(lat["ask"]), "obligations": summarize(lat["obligations"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--baseline-s", type=float, default=20.0)
    ap.add_argument("--docs", default="pipl,dsl,mdsr-2024", help="documents the re-ingest loads")
    ap.add_argument("--force", action="store_true", help="rewrite those documents (else: load them unchanged)")
    ap.add_argument("--obligations-doc", default="pipl", help="document whose obligations the clients list")
    args = ap.parse_args()

    from corpus import corpus_dir
    from graph.build import build
    from graph.store import GraphStore
    from ui.api import ApiSettings, create_app
    from ui.apikeys import KeyStore

    keys = KeyStore(Path(tempfile.mkdtemp(prefix="yigui-bench-keys-")) / "apikeys.json")
    _, key = keys.create("bench")
    app = create_app(keys=keys, settings=ApiSettings(rate_limit=10**7), warm_up=True)
    url, stop = serve(app)
    store = GraphStore.connect()
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=600) as c:
            for _ in range(600):  # the index is built once at start; /readyz says when
                if c.get("/readyz").status_code == 200:
                    break
                time.sleep(1)
            expected = {}
            for i in range(2 * len(ASK)):
                what, r, got = request(c, i, args.obligations_doc)
                assert r.status_code == 200, r.text
                expected[what] = got
        print(f"baseline: {args.clients} clients for {args.baseline_s:.0f} s, no re-ingest", flush=True)
        t_end = time.monotonic() + args.baseline_s
        base = phase(url, key, args.clients, args.obligations_doc, expected, lambda: time.monotonic() > t_end)

        files = [corpus_dir() / "zh" / f"{d}.md" for d in args.docs.split(",")]
        done = threading.Event()
        report: dict = {}

        def reingest():
            with Stopwatch() as sw:
                rep = build(files, store, progress=False, force=args.force)
            report.update(seconds=round(sw.seconds, 1), loaded=rep.loaded, errors=[str(e) for e in rep.errors])
            done.set()

        print(f"during: the same clients while {'a forced ' if args.force else ''}re-ingest of {args.docs} runs",
              flush=True)
        t = threading.Thread(target=reingest)
        t.start()
        during = phase(url, key, args.clients, args.obligations_doc, expected, done.is_set)
        t.join()
    finally:
        store.close()
        stop()
    out = {"clients": args.clients, "reingest": {"docs": args.docs.split(","), "force": args.force, **report},
           "baseline_no_reingest": base, "during_reingest": during}
    path = write_result("concurrency" + ("-force" if args.force else ""), out)
    for name, p in (("baseline", base), ("during re-ingest", during)):
        print(f"{name:17s} {p['requests']:5d} req {p['throughput_rps']:6.2f} req/s  errors {p['errors']}  "
              f"differing {p['differing_answers'] or 0}  ask p50/p95 {p['ask']['p50_ms']:.0f}/{p['ask']['p95_ms']:.0f} ms"
              f"  obligations p50/p95 {p['obligations']['p50_ms']:.0f}/{p['obligations']['p95_ms']:.0f} ms")
    print(f"re-ingest {report.get('seconds')} s, loaded {report.get('loaded')}; -> {path}")


if __name__ == "__main__":
    main()
