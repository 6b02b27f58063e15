"""Load through the real API: `search` and `ask` latency (p50/p95/p99) and throughput with 1, 4 and 16 concurrent
clients, each beside plain baselines measured in the same run, then a sustained load (default 60 s at 16 clients).

What runs: a local graph server in its own YIGUI_HOME (a temporary one unless --home is given) loaded with the real
corpus through graph.build (embeddings come from the shared content-hash cache when present), one uvicorn process
serving `ui.api:app_from_env` on 127.0.0.1 (the way `yigui serve` runs it; rate limit lifted for the run), and
client threads in this process, each with its own keep-alive httpx client. Questions are the project's evaluation
questions (corpus/eval/questions.jsonl, zh and en), cycled.

Baselines, same run, same clients:
  GET /openapi.json   the HTTP stack alone (FastAPI + uvicorn + auth-free route, no store)
  GET /healthz        the HTTP stack plus one store round trip (node counts)
  bm25 in-process     plain jieba + bm25s over the article texts, no API, no dense vectors, no graph: what a
                      lexical-only search costs (run with the same thread counts)

Usage:  python bench/load.py [--levels 1,4,16] [--per-level-s 15] [--sustain-s 60] [--home DIR]
Results: bench/results/load.json and load.md.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import (RESULTS, ROOT, LoadResult, RssSampler, Stopwatch, machine_info,  # noqa: E402
                          markdown_table, rss_mb, run_load, write_result)

PY = sys.executable


def say(msg: str) -> None:
    print(msg, flush=True)


def questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "corpus" / "eval" / "questions.jsonl").read_text().splitlines()
            if line.strip()]
    return [r["q"] for r in rows if r.get("q")]


def shared_cache() -> str:
    import platformdirs

    return os.environ.get("YIGUI_CACHE") or platformdirs.user_cache_dir("yigui")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """Graph server + loaded store + API process for one YIGUI_HOME; stops what it started."""

    def __init__(self, home: Path | None, embed: bool = True):
        self.own_home = home is None
        self.home = Path(home or tempfile.mkdtemp(prefix="yigui-load-"))
        self.embed = embed
        self.api: subprocess.Popen | None = None
        self.url = ""
        self.key = ""

    def __enter__(self) -> "Stack":
        os.environ["YIGUI_HOME"] = str(self.home)
        os.environ["YIGUI_CACHE"] = shared_cache()
        from graph.build import build
        from graph.server import ensure_server
        from graph.store import GraphStore
        from ui.apikeys import KeyStore

        with Stopwatch() as sw:
            self.info = ensure_server(self.home)
        self.server_start_s = round(sw.seconds, 1)
        store = GraphStore.connect(home=self.home)
        try:
            with Stopwatch() as sw:
                rep = build(None, store, progress=False, embed=self.embed)
            self.build_s = round(sw.seconds, 1)
            self.build_summary = {k: v for k, v in rep.summary().items() if k in ("documents", "loaded", "embeddings",
                                                                                  "obligations", "timings", "store")}
        finally:
            store.close()
        _, self.key = KeyStore(self.home / "apikeys.json").create("load-bench")
        port = _free_port()
        env = dict(os.environ, YIGUI_API_RATE_LIMIT="1000000000", PYTHONUNBUFFERED="1")
        self.api = subprocess.Popen([PY, "-m", "uvicorn", "ui.api:app_from_env", "--factory", "--host", "127.0.0.1",
                                     "--port", str(port), "--log-level", "warning", "--no-access-log"],
                                    env=env, cwd=ROOT, stdout=open(self.home / "api.log", "ab"),
                                    stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(f"the API exited at start; see {self.home / 'api.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=30).status_code == 200:
                    return self
            time.sleep(0.3)
        raise RuntimeError("the API did not answer /healthz with 200 within 120 s")

    def __exit__(self, *exc) -> None:
        if self.api is not None:
            self.api.terminate()
            try:
                self.api.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.api.kill()
        from graph.server import stop_server

        with contextlib.suppress(Exception):
            stop_server(self.home)
        if self.own_home:
            import shutil

            shutil.rmtree(self.home, ignore_errors=True)


class Clients:
    """One keep-alive httpx client per worker thread (what a real client pool does)."""

    def __init__(self, url: str, key: str):
        self.url, self.key = url, key
        self._local = threading.local()
        self._all: list[httpx.Client] = []
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        c = getattr(self._local, "c", None)
        if c is None:
            c = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=120)
            self._local.c = c
            with self._lock:
                self._all.append(c)
        return c

    def close(self) -> None:
        for c in self._all:
            c.close()


def _check(r: httpx.Response) -> httpx.Response:
    if r.status_code != 200:
        raise RuntimeError(f"HTTP {r.status_code}")
    return r


def targets(clients: Clients, qs: list[str], bm25) -> dict:
    def search(i: int) -> None:
        body = _check(clients.get().get("/v1/search", params={"q": qs[i % len(qs)], "k": 10})).json()
        if not body.get("results"):
            raise RuntimeError("empty search result")

    def ask(i: int) -> None:
        body = _check(clients.get().post("/v1/ask", json={"question": qs[i % len(qs)]})).json()
        if not body.get("abstained") and not body.get("citations"):
            raise RuntimeError("answer without citations")

    return {
        "GET /openapi.json (baseline)": lambda i: _check(clients.get().get("/openapi.json")),
        "GET /healthz (baseline)": lambda i: _check(clients.get().get("/healthz")),
        "bm25 in-process (baseline)": lambda i: bm25(qs[i % len(qs)]),
        "GET /v1/search": search,
        "POST /v1/ask": ask,
    }


def plain_bm25():
    """jieba + bm25s over article/section texts of the parsed corpus: the lexical-only baseline."""
    import bm25s
    import jieba

    from ingest.pipeline import ingest_paths

    res = ingest_paths(None, progress=False)
    texts = [p.text for pd in res.documents for p in pd.provisions if p.kind in ("article", "section")]
    tok = lambda s: [w for w in jieba.lcut_for_search(s) if w.strip()]  # noqa: E731
    retriever = bm25s.BM25()
    retriever.index([tok(t) for t in texts], show_progress=False)
    lock = threading.Lock()  # bm25s retrieval is not documented as thread-safe

    def query(q: str):
        with lock:
            return retriever.retrieve([tok(q)], k=10, show_progress=False, n_threads=1)

    return query, len(texts)


def fuzz(url: str, key: str, max_time: float) -> dict:
    """The schemathesis CLI against the running API: generated valid and invalid requests for every operation;
    any 5xx is a failure. Returns its summary lines and the JSON report's totals."""
    import re
    import shutil

    exe = shutil.which("schemathesis") or str(Path(PY).parent / "schemathesis")
    report = Path(tempfile.mkdtemp(prefix="yigui-st-"))
    cmd = [exe, "run", f"{url}/openapi.json", "-H", f"Authorization: Bearer {key}", "--checks", "not_a_server_error",
           "--max-time", str(int(max_time)), "--workers", "1", "--request-timeout", "120", "--report", "junit",
           "--report-dir", str(report), "--no-color"]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=max_time + 300)
        text, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as exc:
        text, rc = (exc.stdout or "") if isinstance(exc.stdout, str) else "", "timeout"
    text = text.replace(key, "<key>")
    lines = [ln for ln in text.splitlines() if ln.strip() and str(report) not in ln and "Reports:" not in ln]
    summary = [ln.strip() for ln in lines if re.search(r"(passed|failed|errored|skipped|test cases|Test cases|"
                                                        r"No issues found|issues found|Server error)", ln)]
    junit = next(report.rglob("*.xml"), None)
    totals = {}
    if junit is not None:
        head = junit.read_text(encoding="utf-8", errors="replace")[:2000]
        for k in ("tests", "failures", "errors", "skipped"):
            m = re.search(rf'{k}="(\d+)"', head)
            if m:
                totals[k] = int(m.group(1))
    shutil.rmtree(report, ignore_errors=True)
    return {"exit": rc, "seconds": round(time.perf_counter() - t0, 1), "summary": " | ".join(summary[-6:]),
            "junit_totals": totals, "tail": lines[-25:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="1,4,16")
    ap.add_argument("--per-level-s", type=float, default=15.0, help="time bound of each (target, level) run")
    ap.add_argument("--per-level-n", type=int, default=400, help="request bound of each (target, level) run")
    ap.add_argument("--sustain-s", type=float, default=60.0)
    ap.add_argument("--sustain-clients", type=int, default=16)
    ap.add_argument("--home", type=Path, help="reuse this YIGUI_HOME (its server and store) instead of a new one")
    ap.add_argument("--no-embed", action="store_true", help="build without embeddings (dense retrieval empty)")
    ap.add_argument("--fuzz-s", type=float, default=180.0, help="schemathesis time budget (0: skip)")
    a = ap.parse_args(argv)
    levels = [int(x) for x in a.levels.split(",")]
    qs = questions()
    say(f"{len(qs)} questions; levels {levels}; {a.per_level_s:.0f} s or {a.per_level_n} requests per run")
    bm25, n_docs = plain_bm25()
    rows: list[dict] = []
    out: dict = {"questions": len(qs), "bm25_baseline_units": n_docs}
    with Stack(a.home, embed=not a.no_embed) as st:
        out["server_start_s"], out["build_s"], out["build"] = st.server_start_s, st.build_s, st.build_summary
        say(f"stack up: server {st.server_start_s} s, build {st.build_s} s; API {st.url}")
        clients = Clients(st.url, st.key)
        t = targets(clients, qs, bm25)
        with Stopwatch() as sw:  # warm-up: the API builds the retriever's in-process index (503 until ready)
            deadline = time.time() + 600
            while True:
                try:
                    t["GET /v1/search"](0)
                    t["POST /v1/ask"](0)
                    break
                except RuntimeError as exc:
                    if "HTTP 503" not in str(exc) or time.time() > deadline:
                        raise
                    time.sleep(1)
        out["ready_after_s"] = round(sw.seconds, 1)
        say(f"search and ask ready after {out['ready_after_s']} s")
        for c in levels:
            for name, fn in t.items():
                res: LoadResult = run_load(fn, c, requests=a.per_level_n, duration=a.per_level_s)
                row = res.row(name)
                rows.append(row)
                say(f"  {name:32s} c={c:<3d} n={row['requests']:<5d} err={row['errors']:<3d} rps={row['rps']:<8} "
                    f"p50={row['p50_ms']} p95={row['p95_ms']} p99={row['p99_ms']} ms")
        # sustained mixed load: search and ask alternating
        say(f"sustained: {a.sustain_s:.0f} s at {a.sustain_clients} clients (search and ask alternating)")
        kinds: dict[str, list[float]] = {"search": [], "ask": []}
        lock = threading.Lock()

        def mixed(i: int) -> None:
            t0 = time.perf_counter()
            (t["GET /v1/search"] if i % 2 == 0 else t["POST /v1/ask"])(i)
            with lock:
                kinds["search" if i % 2 == 0 else "ask"].append(time.perf_counter() - t0)

        api_pid = st.api.pid
        with RssSampler(st.info.pid) as java_rss, RssSampler(api_pid) as api_rss:
            sus = run_load(mixed, a.sustain_clients, duration=a.sustain_s)
        from bench.common import summarize

        out["sustained"] = {**sus.row(f"mixed search+ask, {a.sustain_s:.0f} s"), "seconds": round(sus.seconds, 1),
                            "search": summarize(kinds["search"]), "ask": summarize(kinds["ask"]),
                            "peak_rss_mb": {"graph_server": java_rss.peak_mb, "api": api_rss.peak_mb}}
        s = out["sustained"]
        say(f"  {s['requests']} requests in {s['seconds']} s, errors {s['errors']} {s['error_kinds'] or ''}, "
            f"{s['rps']} req/s, p95 {s['p95_ms']} ms (search p95 {s['search']['p95_ms']}, ask p95 "
            f"{s['ask']['p95_ms']}); peak RSS server {java_rss.peak_mb} MiB, API {api_rss.peak_mb} MiB")
        clients.close()
        if a.fuzz_s > 0:
            say(f"schemathesis: all phases, all operations, up to {a.fuzz_s:.0f} s, check not_a_server_error")
            out["schemathesis"] = fuzz(st.url, st.key, a.fuzz_s)
            say(f"  {out['schemathesis']['summary']}")
    out["rows"] = rows
    path = write_result("load", out)
    cols = ["target", "clients", "requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms"]
    md = [f"# Load through the API ({machine_info()['cores']} cores, {machine_info()['mem_gb']} GB)\n",
          markdown_table(rows, cols), "\n## Sustained\n", markdown_table([out["sustained"]], cols + ["seconds"])]
    (RESULTS / "load.md").write_text("\n".join(md), encoding="utf-8")
    say(f"results: {path.relative_to(ROOT)}, bench/results/load.md")
    if "schemathesis" in out:
        md.append("\n## Schemathesis (check: not_a_server_error)\n\n" + f"exit {out['schemathesis']['exit']}, "
                  f"{out['schemathesis']['seconds']} s, JUnit totals {out['schemathesis']['junit_totals']}\n\n"
                  "```\n" + "\n".join(out["schemathesis"]["tail"][-12:]) + "\n```\n")
        (RESULTS / "load.md").write_text("\n".join(md), encoding="utf-8")
    ok = out["sustained"]["errors"] == 0 and out.get("schemathesis", {}).get("exit", 0) == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
