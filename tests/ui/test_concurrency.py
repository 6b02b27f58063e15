"""16 API clients at once while a re-ingest runs through the same store: no errors, the same answers before and
during the load, and the new document answered from once the load is done (the generation stamp: a serving process
rebuilds its index after another process's ingest)."""
from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
from ui_support import connect_like, serve

from corpus import corpus_dir
from qa import service
from ui.api import ApiSettings, create_app
from ui.core import Backend

CLIENTS = 16
BASE = ("pipl", "dsl", "mdsr-2024")
ADDED = "genai-measures"
ASK = "处理敏感个人信息需要取得个人的单独同意吗？"
NEW_Q = "生成式人工智能服务提供者应当依法开展预训练、优化训练等训练数据处理活动"


def _files(ids):
    return [corpus_dir() / "zh" / f"{i}.md" for i in ids]


def _snapshot(c: httpx.Client) -> dict:
    ask = c.post("/v1/ask", json={"question": ASK})
    obs = c.get("/v1/obligations", params={"doc": "pipl", "limit": 500})
    search = c.get("/v1/search", params={"q": "个人信息出境 标准合同", "k": 5})
    assert ask.status_code == obs.status_code == search.status_code == 200, (ask.text, obs.text, search.text)
    return {"ask": [x["provision_id"] for x in ask.json()["citations"]],
            "obligations": [o["id"] for o in obs.json()["items"]],
            "search": [r["provision_id"] for r in search.json()["results"]]}


def test_sixteen_clients_while_a_reingest_runs(scratch_store, keystore, api_key):
    from graph.build import build

    assert not build(_files(BASE), scratch_store, progress=False).errors
    backend = Backend(connect=lambda: connect_like(scratch_store))
    app = create_app(backend=backend, keys=keystore, settings=ApiSettings(rate_limit=10**6))
    h = {"Authorization": f"Bearer {api_key}"}
    try:
        with serve(app) as url, httpx.Client(base_url=url, headers=h, timeout=180) as c:
            before = _snapshot(c)
            assert any(p.startswith("pipl/art29") for p in before["ask"])
            assert not [r for r in c.get("/v1/search", params={"q": NEW_Q}).json()["results"]
                        if r["doc_id"] == ADDED]

            done = threading.Event()
            statuses: Counter = Counter()
            differing: Counter = Counter()
            latencies: list[float] = []
            lock = threading.Lock()

            def client(i: int):
                with httpx.Client(base_url=url, headers=h, timeout=180) as mine:
                    n = 0
                    while not done.is_set() or n < 3:
                        t0 = time.perf_counter()
                        if i % 2 == 0:
                            r = mine.post("/v1/ask", json={"question": ASK})
                            got = [x["provision_id"] for x in r.json()["citations"]] if r.status_code == 200 else None
                            key = "ask"
                        else:
                            r = mine.get("/v1/obligations", params={"doc": "pipl", "limit": 500})
                            got = [o["id"] for o in r.json()["items"]] if r.status_code == 200 else None
                            key = "obligations"
                        with lock:
                            latencies.append(time.perf_counter() - t0)
                            statuses[r.status_code] += 1
                            if got is not None and got != before[key]:
                                differing[key] += 1
                        n += 1

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            report = build(_files((*BASE, ADDED)), scratch_store, progress=False)  # the re-ingest, meanwhile
            done.set()
            for t in threads:
                t.join(timeout=300)
            assert not report.errors and not any(t.is_alive() for t in threads)
            assert set(statuses) == {200}, statuses  # no error, no 503, for any of the clients
            assert sum(statuses.values()) >= 3 * CLIENTS
            assert not differing, differing  # the unchanged documents answer the same while the load runs

            time.sleep(service.GENERATION_CHECK_S + 0.5)  # the serving process notices the new generation
            after = _snapshot(c)
            assert after == before  # what did not change answers the same after
            new = c.get("/v1/search", params={"q": NEW_Q, "k": 5}).json()["results"]
            assert new and new[0]["doc_id"] == ADDED  # the re-ingested store is what answers now
            lat = sorted(latencies)
            print(f"\n{sum(statuses.values())} requests from {CLIENTS} clients during the re-ingest; "
                  f"p50 {lat[len(lat) // 2] * 1000:.0f} ms, p95 {lat[int(len(lat) * 0.95)] * 1000:.0f} ms")
    finally:
        backend.close()
        service.reset()  # the process-wide index points at this scratch store: forget it
