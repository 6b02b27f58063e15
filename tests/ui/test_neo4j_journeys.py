"""The user's journeys on the local Neo4j 5 server, through the real commands (issue #14): `yigui ingest` of the
corpus, `yigui ask`, `yigui obligations`, `yigui checklist`, and two `yigui serve` replicas over the one Neo4j store
that answer alike and both see a re-ingest made by a third process.

Every command is a subprocess with YIGUI_DB_BACKEND=neo4j and a home of its own, as a user would run them; the
ArcadeDB answers of the same session (the in-process core over `loaded_store`) are the reference each Neo4j result
is held to. Needs `mvn` and `java` 17+ (skipped without them, like tests/graph/test_neo4j_server.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ui_support import free_port

YIGUI = [sys.executable, "-m", "ui.cli"]
QUESTIONS = ["医院用患者病历训练诊断模型，需要取得患者的单独同意吗？",
             "How long is a data export security assessment valid?",
             "What is the VAT rate on imported electronics?"]
OWN_LAW = """# 某市人工智能辅助诊断软件管理暂行办法

第一条 为规范本市医疗机构使用人工智能辅助诊断软件，制定本办法。

第二条 医疗机构使用人工智能辅助诊断软件出具的影像报告，应当由具有相应资质的医师复核签字，复核记录保存不少于十五年。

第三条 本办法自2027年1月1日起施行。
"""
OWN_TITLE = "某市人工智能辅助诊断软件管理暂行办法"


def _timings(name: str, value) -> None:
    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    f = out / "neo4j-journeys.json"
    data = json.loads(f.read_text()) if f.exists() else {}
    data[name] = value
    f.write_text(json.dumps(data, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def neo4j_env(tmp_path_factory):
    """The environment of a user whose store is the local Neo4j: its own home and server registry; the corpus
    caches of the session (so the corpus is not embedded a second time)."""
    missing = [t for t in ("mvn", "java") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: the local Neo4j server needs Java 17+ and Maven")
    (Path(__file__).resolve().parents[2] / "test-artifacts" / "neo4j-journeys.json").unlink(missing_ok=True)
    base = tmp_path_factory.mktemp("neo4j-journeys")
    env = dict(os.environ, YIGUI_HOME=str(base / "home"), YIGUI_DB_BACKEND="neo4j",
               YIGUI_DB_REGISTRY=str(base / "registry"), YIGUI_DB_IDLE_TIMEOUT="120", YIGUI_PROGRESS="0")
    for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        env.pop(k, None)
    t0 = time.monotonic()
    started = _run(env, "db", "start")
    _timings("db_start_s", round(time.monotonic() - t0, 1))
    assert started.startswith("running neo4j pid ") and "bolt://127.0.0.1:" in started, started
    yield env
    _run(env, "db", "stop", check=False)
    from graph.neo4j_server import stop_neo4j

    stop_neo4j(Path(env["YIGUI_HOME"]))  # in case the command could not


def _run(env, *args, check: bool = True, timeout: float = 900) -> str:
    res = subprocess.run([*YIGUI, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert res.returncode == 0, f"yigui {' '.join(args)} → {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout


def _json_lines(text: str) -> list[dict]:
    return [json.loads(x) for x in text.splitlines() if x.strip().startswith("{")]


def _answer_view(a: dict) -> dict:
    """What a user reads of an answer (timings left out)."""
    return {"answer": a["answer"], "abstained": a["abstained"],
            "citations": [(c["provision_id"], c["citation"], c["quote"]) for c in a["citations"]]}


@pytest.fixture(scope="module")
def ingested(neo4j_env):
    t0 = time.monotonic()
    out = json.loads(_run(neo4j_env, "ingest", "--json"))
    _timings("ingest_corpus_s", round(time.monotonic() - t0, 1))
    return out


@pytest.fixture(scope="module")
def reference(shared_backend):
    """The same requests answered on the session's ArcadeDB store."""
    from ui.core import Core

    return Core(shared_backend)


def test_ingest_the_corpus_into_neo4j(ingested, loaded_store):
    assert ingested["failed"] == [] and ingested["errors"] == 0
    assert ingested["graph"]["loaded"] == ingested["documents"] == loaded_store.build_report.documents
    assert ingested["graph"]["embeddings"] > 5000
    assert ingested["graph"]["obligations"] == loaded_store.counts()["Obligation"]


def test_ask_on_neo4j_cites_what_arcadedb_cites(neo4j_env, ingested, reference, tmp_path):
    qfile = tmp_path / "questions.txt"
    qfile.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    answers = _json_lines(_run(neo4j_env, "ask", "--queries", str(qfile), "--json", "--no-llm"))
    assert [a["question"] for a in answers] == QUESTIONS
    pipl, export, vat = answers
    assert "《个人信息保护法》第二十九条" in [c["citation"] for c in pipl["citations"]]
    assert any(c["citation"].startswith("《数据出境安全评估办法》第十四条") for c in export["citations"])
    assert vat["abstained"] is True and vat["citations"] == []
    for q, a in zip(QUESTIONS, answers):
        ref = reference.ask(q, use_llm=False).model_dump()
        assert _answer_view(a) == _answer_view(ref), q


def test_obligations_and_checklist_on_neo4j(neo4j_env, ingested, reference, tmp_path):
    page = json.loads(_run(neo4j_env, "obligations", "--actor", "医疗器械注册人", "--stage", "post-market",
                           "--json", "--limit", "500"))
    ref = reference.obligations(reference.filters(actor="md-registrant", stage="post-market"), limit=500)
    assert page["total"] == ref.total >= 10
    assert [r["id"] for r in page["items"]] == [r.id for r in ref.items]  # same rows, same order
    assert any(r["citation"].startswith("《医疗器械监督管理条例》") for r in page["items"])

    from openpyxl import load_workbook

    xlsx = tmp_path / "registrant-post-market.xlsx"
    printed = _run(neo4j_env, "checklist", "-o", str(xlsx), "--actor", "md-registrant", "--stage", "post-market")
    assert int(printed.split()[0]) == page["total"]
    ws = load_workbook(xlsx)["Register"]
    col = {c.value: c.column for c in ws[1]}
    cited = [ws.cell(row=i, column=col["出处 Citation"]).value.split("\n")[0] for i in range(2, ws.max_row + 1)]
    assert len(cited) == page["total"] and set(cited) == {r["citation"] for r in page["items"]}
    assert "《医疗器械监督管理条例》第六十二条第一款" in cited


def _serve(env, port: int) -> subprocess.Popen:
    return subprocess.Popen([*YIGUI, "serve", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_ready(proc: subprocess.Popen, url: str, timeout: float = 300) -> float:
    t0 = time.monotonic()
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            pytest.fail(f"yigui serve exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{url} not ready after {timeout:.0f} s")
        time.sleep(0.5)


def test_two_api_replicas_on_one_neo4j_answer_alike_and_see_a_reingest(neo4j_env, ingested, tmp_path):
    key = _run(neo4j_env, "apikey", "create", "--name", "replicas").strip().splitlines()[-1]
    ports = [free_port(), free_port()]
    procs = [_serve(neo4j_env, p) for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        ready = [_wait_ready(p, u) for p, u in zip(procs, urls)]
        _timings("replicas_ready_s", [round(r, 1) for r in ready])
        clients = [httpx.Client(base_url=u, headers={"Authorization": f"Bearer {key}"}, timeout=120) for u in urls]
        for q in QUESTIONS:
            a, b = (c.post("/v1/ask", json={"question": q}) for c in clients)
            assert a.status_code == b.status_code == 200, (a.text, b.text)
            assert _answer_view(a.json()) == _answer_view(b.json()), q
        pipl = clients[0].post("/v1/ask", json={"question": QUESTIONS[0]}).json()
        assert "《个人信息保护法》第二十九条" in [c["citation"] for c in pipl["citations"]]

        # a third process ingests a user's own text into the same store; both replicas then find it
        query = "人工智能辅助诊断软件出具的影像报告由谁复核签字"
        before = [c.get("/v1/search", params={"q": query, "k": 5}).json()["results"] for c in clients]
        assert all(r["doc_title"] != OWN_TITLE for hits in before for r in hits)
        own = tmp_path / "own-rules.md"
        own.write_text(OWN_LAW, encoding="utf-8")
        gen_before = [httpx.get(f"{u}/readyz").json()["index_generation"] for u in urls]
        assert gen_before[0] == gen_before[1] is not None
        out = json.loads(_run(neo4j_env, "ingest", str(own), "--json"))
        assert out["failed"] == [] and out["graph"]["loaded"] == 1
        # no request is sent: each replica's watcher notices the new generation and rebuilds by itself
        t0 = time.monotonic()
        rebuilt = [None, None]
        while None in rebuilt and time.monotonic() - t0 < 180:
            for i, u in enumerate(urls):
                r = httpx.get(f"{u}/readyz", timeout=10)
                if rebuilt[i] is None and r.status_code == 200 and r.json()["index_generation"] != gen_before[i]:
                    rebuilt[i] = time.monotonic() - t0
            time.sleep(0.5)
        assert None not in rebuilt, f"a replica did not rebuild its index after the re-ingest: {rebuilt}"
        _timings("reingest_rebuilt_after_s", [round(x, 1) for x in rebuilt])
        gens = [httpx.get(f"{u}/readyz").json()["index_generation"] for u in urls]
        assert gens[0] == gens[1]
        for c in clients:
            top = c.get("/v1/search", params={"q": query, "k": 5}).json()["results"][0]
            assert top["doc_title"] == OWN_TITLE
            assert top["citation"] == f"《{OWN_TITLE}》第二条" and "复核签字" in top["text"]
        a, b = (c.post("/v1/ask", json={"question": query}) for c in clients)
        assert _answer_view(a.json()) == _answer_view(b.json())
        assert f"《{OWN_TITLE}》第二条" in [c["citation"] for c in a.json()["citations"]]
        for c in clients:
            c.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
