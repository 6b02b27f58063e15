"""Injection attempts through every text parameter of the API and the CLI reach the store only as parameters.

Each payload is sent through each text parameter; the test records every Cypher statement the driver is given and
asserts that no payload ever appears inside a statement's text (only among its parameters), that no request fails
with a server error, that the graph is unchanged afterwards, and that a real question carrying a payload still gets
a normal answer or abstention."""
from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import quote

import httpx
import pytest

PAYLOADS = [
    "'}) DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "x` ) DETACH DELETE n //",
    "pipl/art29'}) SET p.text = 'pwned' //",
    "' OR 1=1 --",
    "'; DELETE FROM Provision; --",
    "}] RETURN 1 UNION MATCH (n) DETACH DELETE n //",
    "$ids",
    "\\u0027}) DETACH DELETE n //",
    "{{7*7}} ${7*7} <script>alert(1)</script>",
]
# a marker unlikely to appear in any legitimate Cypher text: if it does, user text was concatenated into a query
MARKERS = ["DETACH DELETE n //", "SET p.text = 'pwned'", "DELETE FROM Provision", "OR 1=1", "UNION MATCH (n)",
           "alert(1)", "{{7*7}}"]


def _snapshot(store) -> dict:
    c = store.counts()
    c["pipl29"] = (store.run("MATCH (p:Provision {id: 'pipl/art29'}) RETURN p.text AS t") or [{}])[0].get("t")
    return c


def _assert_no_marker_in_query_text(recorder):
    for q in recorder.queries:
        for m in MARKERS:
            assert m not in q, f"user text was concatenated into a Cypher statement: {q[:300]}"


def _requests(key: str):
    """(method, path, json) for every text parameter the API has."""
    for p in PAYLOADS:
        e = quote(p, safe="")
        yield "GET", f"/v1/search?q={e}", None
        yield "POST", "/v1/ask", {"question": p}
        yield "POST", "/v1/ask", {"question": "处理敏感个人信息需要取得个人的单独同意吗？" + p}
        yield "GET", f"/v1/provisions/{e}", None
        yield "GET", f"/v1/provisions/《个人信息保护法》第二十九条{e}", None
        for name in ("actor", "stage", "doc", "level"):
            yield "GET", f"/v1/obligations?{name}={e}&limit=5", None
        yield "POST", "/v1/checklists", {"doc": p, "format": "json"}
        yield "POST", "/v1/checklists", {"actor": p, "format": "json"}
        yield "POST", "/v1/checklists", {"title": p, "doc": "pipl", "format": "csv"}


def test_api_text_parameters_reach_the_store_only_as_parameters(robust_api, loaded_store, query_recorder):
    url, key = robust_api
    before = _snapshot(loaded_store)
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as c:
        for method, path, body in _requests(key):
            r = c.request(method, path, json=body)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            assert r.status_code < 500, f"{method} {path} {body} -> {r.status_code}: {r.text[:300]}"
            assert r.status_code in (200, 404, 422), f"{method} {path} -> {r.status_code}: {r.text[:200]}"
            if r.status_code != 200:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert "Traceback" not in r.text
    assert statuses.get(200, 0) > 0, "at least the searches and questions must be answered normally"
    assert len(query_recorder.queries) > 20, "the recorder must have seen the API's queries (else this test is vacuous)"
    def holds_payload(v) -> bool:
        if isinstance(v, str):
            return any(m in v for m in MARKERS)
        if isinstance(v, (list, tuple)):
            return any(holds_payload(x) for x in v)
        if isinstance(v, dict):
            return any(holds_payload(x) for x in v.values())
        return False

    assert any(holds_payload(p) for p in query_recorder.params), \
        "some payload must have reached the store, as a parameter (e.g. the provision id lookup)"
    _assert_no_marker_in_query_text(query_recorder)
    assert _snapshot(loaded_store) == before, "an injection attempt changed the graph"


def test_question_with_payload_gets_a_normal_answer(robust_api):
    """The payload is just text: the answer is the one the clean question gets (same clauses, give or take the
    ranking noise the extra words cause)."""
    url, key = robust_api
    clean = "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？"
    h = {"Authorization": f"Bearer {key}"}
    answers = {}
    for q in (clean, clean + "'}) DETACH DELETE n //"):
        r = httpx.post(f"{url}/v1/ask", json={"question": q}, headers=h, timeout=120)
        assert r.status_code == 200, r.text[:300]
        body = r.json()
        assert body["question"] == q
        answers[q] = body
    a, b = answers.values()
    assert a["abstained"] == b["abstained"]
    if not a["abstained"]:
        ca, cb = {c["citation"] for c in a["citations"]}, {c["citation"] for c in b["citations"]}
        assert cb and all(c["quote"] for c in b["citations"])
        assert len(ca & cb) >= max(1, len(ca) // 2), (sorted(ca), sorted(cb))


def test_payload_only_question_abstains_or_answers_without_error(robust_api):
    url, key = robust_api
    r = httpx.post(f"{url}/v1/ask", json={"question": "'}) DETACH DELETE n //"},
                   headers={"Authorization": f"Bearer {key}"}, timeout=120)
    assert r.status_code == 200
    body = r.json()
    assert body["abstained"] or body["citations"], "an answer must either cite or abstain"


OBLIGATION_OPTIONS = ["--actor", "--stage", "--doc", "--level"]


def _cli(args, env):
    r = subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode in (0, 1, 2), f"yigui {' '.join(args)[:200]} -> {r.returncode}: {r.stderr[-500:]}"
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr[-800:]
    return r


@pytest.mark.parametrize("command", ["search", "ask"])
def test_cli_questions_with_payloads_do_not_change_the_graph(command, loaded_store, yigui_home, tmp_path):
    before = _snapshot(loaded_store)
    qfile = tmp_path / "payloads.txt"
    qfile.write_text("\n".join(PAYLOADS) + "\n", encoding="utf-8")
    r = _cli([command, "--queries", str(qfile), "--json"], dict(os.environ, YIGUI_HOME=str(yigui_home)))
    lines = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("{")]
    assert len(lines) == len(PAYLOADS), f"one JSON answer per payload line expected: {r.stdout[-500:]}"
    assert _snapshot(loaded_store) == before


def test_cli_obligation_filters_with_payloads_do_not_change_the_graph(loaded_store, yigui_home):
    before = _snapshot(loaded_store)
    env = dict(os.environ, YIGUI_HOME=str(yigui_home))
    for opt in OBLIGATION_OPTIONS:
        for p in PAYLOADS[:1]:
            _cli(["obligations", opt, p, "--json", "--limit", "3"], env)
    assert _snapshot(loaded_store) == before
