"""Fault drill as a test: the local graph server SIGKILLed in the middle of a load, then restarted — the store is
consistent (no duplicate ids, no document marked complete that is not) and a re-run completes to the full counts.

Runs its own server in a private YIGUI_HOME (the session's shared server must not be killed), on the 1× synthetic
corpus without obligations and embeddings so the load lasts long enough to be cut (≈ 30 s on 2 cores).
`python bench/faults.py` runs the longer drills (with obligations, and the API during an outage)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pathlib import Path
from graph.build import build
from graph.store import GraphStore
store = GraphStore.connect(home=Path(sys.argv[1]))
build([Path(sys.argv[2]) / "zh", Path(sys.argv[2]) / "en"], store, progress=False, embed=False, extract=False)
"""


def _consistency(store, expected: dict[str, int]) -> dict:
    row = store.run("MATCH (p:Provision) RETURN count(p) AS n, count(DISTINCT p.id) AS d")[0]
    per_doc = {r["doc"]: r["n"] for r in store.run("MATCH (p:Provision) RETURN p.doc_id AS doc, count(p) AS n")}
    linked = {r["doc"]: r["n"] for r in store.run(
        "MATCH ()-[:HAS_PART]->(p:Provision) RETURN p.doc_id AS doc, count(DISTINCT p) AS n")}
    marked = {r["id"] for r in store.run("MATCH (d:Document) WHERE d.sha256 IS NOT NULL RETURN d.id AS id")}
    bad = sorted(d for d in marked if per_doc.get(d, 0) != expected.get(d) or linked.get(d, 0) != expected.get(d))
    return {"provisions": row["n"], "duplicates": row["n"] - row["d"], "marked": marked, "marked_but_incomplete": bad}


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="kills the local ArcadeDB server; not for Neo4j")
def test_server_killed_mid_load_leaves_a_consistent_store_and_a_rerun_completes(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))  # bench/ (the synthetic corpus) is not an installed package
    from bench.synth import synth
    from graph.build import build
    from graph.server import ensure_server, server_status, stop_server
    from graph.store import GraphStore
    from ingest.pipeline import ingest_paths

    home = tmp_path / "home"
    corpus = Path(synth(1, tmp_path / "synth").out)
    parsed = ingest_paths([corpus / "zh", corpus / "en"], progress=False)
    expected = {pd.document.id: len(pd.provisions) for pd in parsed.documents}
    want = sum(expected.values())
    env = dict(os.environ, YIGUI_HOME=str(home))
    ensure_server(home)
    try:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(corpus)], env=env, cwd=REPO,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        probe = GraphStore.connect(home=home)
        seen = 0
        deadline = time.monotonic() + 300
        try:
            while child.poll() is None and time.monotonic() < deadline and seen < 0.3 * want:
                seen = probe.run("MATCH (p:Provision) RETURN count(p) AS n")[0]["n"]
                time.sleep(0.2)
        finally:
            probe.close()
        assert child.poll() is None, "the load ended before the kill point: nothing was interrupted"
        pid = server_status(home)["pid"]
        os.kill(pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=180)  # the loader must fail, not hang
        assert child.returncode != 0, "a load whose server died must not report success"
        assert "ServiceUnavailable" in out or "StoreError" in out or "defunct" in out, out[-800:]

        ensure_server(home)  # stale state file: a fresh process on the same data
        store = GraphStore.connect(home=home)
        try:
            after = _consistency(store, expected)
            assert after["duplicates"] == 0
            assert after["marked_but_incomplete"] == [], after["marked_but_incomplete"]
            assert 0 < after["provisions"] < want, "the kill happened mid-load: some, not all, provisions"
            rep = build([corpus / "zh", corpus / "en"], store, progress=False, embed=False, extract=False)
            assert not rep.errors
            done = _consistency(store, expected)
            assert done["provisions"] == want and done["duplicates"] == 0
            assert done["marked"] >= set(expected) and done["marked_but_incomplete"] == []
            pipl = store.run("MATCH (p:Provision {id: 'syn1-pipl/art1'}) RETURN p.citation AS c")
            assert pipl and pipl[0]["c"] == "《个人信息保护法〔合成1〕》第一条"
        finally:
            store.close()
    finally:
        stop_server(home)


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="restarts the local ArcadeDB server; not for Neo4j")
def test_api_recovers_after_the_server_restarts_on_new_ports(tmp_path, monkeypatch):
    import httpx

    from graph.build import build
    from graph.server import ensure_server, server_status, stop_server
    from graph.store import GraphStore
    from corpus import corpus_dir
    from ui.api import ApiSettings, create_app
    from ui.core import Backend
    from ui.apikeys import KeyStore

    from yigui_testing import get_until_ok, serve

    home = tmp_path / "home"
    monkeypatch.setenv("YIGUI_HOME", str(home))
    monkeypatch.delenv("YIGUI_DB_BOLT_PORT", raising=False)
    monkeypatch.delenv("YIGUI_DB_HTTP_PORT", raising=False)
    ensure_server(home)
    try:
        with GraphStore.connect(home=home) as store:
            build([corpus_dir() / "zh" / "pipl.md"], store, progress=False, embed=False, extract=False)
        ks = KeyStore(tmp_path / "apikeys.json")
        key = ks.create("drill")[1]
        app = create_app(backend=Backend(reconnect_after_s=0.5), keys=ks, settings=ApiSettings(rate_limit=10**6))
        h = {"Authorization": f"Bearer {key}"}
        with serve(app) as url:
            assert httpx.get(f"{url}/v1/provisions/pipl/art29", headers=h, timeout=60).status_code == 200
            old_port = server_status(home)["bolt_port"]
            os.kill(server_status(home)["pid"], signal.SIGKILL)
            r = httpx.get(f"{url}/v1/provisions/pipl/art29", headers=h, timeout=30)
            assert r.status_code == 503 and r.headers["retry-after"]
            time.sleep(1)
            ensure_server(home)
            assert server_status(home)["bolt_port"] != old_port
            r = get_until_ok(f"{url}/v1/provisions/pipl/art29", h)
            assert r.status_code == 200, "the API did not reconnect to the restarted server"
    finally:
        stop_server(home)
