"""The REST API over real HTTP (uvicorn on a loopback port) against the real graph store loaded with the corpus."""
from __future__ import annotations

import io
import json
import re

import httpx
import pytest

from corpus import corpus_dir
from ui.api import ApiSettings, create_app
from ui.core import Backend

from ui_support import bolt_port, connect_like, serve
from yigui_testing import get_until_ok
from ui_tcpproxy import TcpProxy

PROBLEM = "application/problem+json"

def corpus_text(doc_id: str) -> str:
    return re.sub(r"\s+", "", (corpus_dir() / "zh" / f"{doc_id}.md").read_text(encoding="utf-8"))


def assert_problem(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


# ---------------------------------------------------------------- auth, meta


def test_healthz_needs_no_key_and_reports_the_store(api):
    url, _ = api
    r = httpx.get(f"{url}/healthz", timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["store"] == "up"


def test_v1_requires_a_bearer_key(api):
    url, _ = api
    r = httpx.get(f"{url}/v1/documents")
    body = assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    assert "yigui apikey create" in body["detail"]
    bad = httpx.get(f"{url}/v1/documents", headers={"Authorization": "Bearer yg_00000000_not-a-key"})
    assert_problem(bad, 401)


def test_revoked_key_is_refused_at_once(api, keystore):
    url, _ = api
    rec, key = keystore.create("short-lived")
    ok = httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert ok.status_code == 200
    assert [k.id for k in keystore.revoke(rec.id)] == [rec.id]
    r = httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Bearer {key}"})
    assert "revoked" in assert_problem(r, 401)["detail"]


def test_keys_are_stored_hashed(keystore, api_key):
    raw = keystore.path.read_text(encoding="utf-8")
    secret = api_key.split("_", 2)[2]
    assert secret not in raw and api_key not in raw
    assert json.loads(raw)["keys"][0]["hash"]


def test_openapi_documents_every_endpoint_and_bearer_auth(api):
    url, _ = api
    spec = httpx.get(f"{url}/openapi.json").json()
    for path in ("/v1/ask", "/v1/search", "/v1/provisions/{provision_id}", "/v1/obligations", "/v1/checklists",
                 "/v1/documents", "/healthz"):
        assert path in spec["paths"], path
    assert any(s.get("scheme") == "bearer" for s in spec["components"]["securitySchemes"].values())
    assert "AskResponse" in spec["components"]["schemas"]


# ---------------------------------------------------------------- content


def test_documents_lists_loaded_versions(client):
    r = client.get("/v1/documents")
    assert r.status_code == 200
    docs = {d["id"]: d for d in r.json()["items"]}
    assert docs["pipl"]["title"] == "中华人民共和国个人信息保护法"
    assert {"mdsr-2021", "mdsr-2024"} <= set(docs)
    assert r.json()["count"] == len(docs)


def test_provision_by_id_gives_verbatim_clause_and_neighbourhood(client):
    r = client.get("/v1/provisions/pipl/art29")
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["id"] == "pipl/art29"
    assert p["citation"] == "《个人信息保护法》第二十九条"
    assert p["text"].startswith("处理敏感个人信息应当取得个人的单独同意")
    assert re.sub(r"\s+", "", p["text"]) in corpus_text("pipl")
    nb = p["neighbourhood"]
    assert [o["id"] for o in nb["obligations"]] == ["pipl/art29/p1#o1"]
    assert "pipl/art66/p1" in [x["id"] for x in nb["penalties"]]  # the general penalty clause of the PIPL
    assert nb["translation"]["id"] == "pipl.en/art29"


def test_provision_by_citation(client):
    r = client.get("/v1/provisions/《个人信息保护法》第二十九条")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "pipl/art29"


def test_unknown_provision_is_a_404_problem(client):
    body = assert_problem(client.get("/v1/provisions/pipl/art999"), 404)
    assert "pipl/art999" in body["detail"]


def test_obligations_for_registrant_post_market(client):
    r = client.get("/v1/obligations", params={"actor": "医疗器械注册人", "stage": "post-market", "limit": 500})
    assert r.status_code == 200, r.text
    page = r.json()
    cites = {o["citation"] for o in page["items"]}
    assert "《医疗器械监督管理条例》第六十二条第一款" in cites
    ob = next(o for o in page["items"] if o["citation"] == "《医疗器械监督管理条例》第六十二条第一款")
    assert ob["doc_id"] == "mdsr-2024"  # current version only by default
    assert "不良事件监测体系" in ob["text"]


def test_obligations_paginate_without_overlap(client):
    first = client.get("/v1/obligations", params={"doc": "pipl", "limit": 3}).json()
    second = client.get("/v1/obligations", params={"doc": "pipl", "limit": 3, "offset": 3}).json()
    assert first["count"] == 3 and first["next_offset"] == 3
    assert all(o["doc_id"] == "pipl" for o in first["items"] + second["items"])
    assert not {o["id"] for o in first["items"]} & {o["id"] for o in second["items"]}


def test_unknown_actor_names_the_parameter(client):
    body = assert_problem(client.get("/v1/obligations", params={"actor": "no-such-role"}), 422)
    assert "actor='no-such-role'" in body["detail"]


def test_bad_query_parameter_is_a_problem_naming_the_field(client):
    body = assert_problem(client.get("/v1/obligations", params={"limit": 0}), 422)
    assert any(e["field"].endswith("limit") for e in body["errors"])
    body = assert_problem(client.get("/v1/obligations", params={"offset": 2**31}), 422)  # the store's int range
    assert any(e["field"].endswith("offset") for e in body["errors"])


def test_search_finds_the_separate_consent_clause(client):
    r = client.get("/v1/search", params={"q": "处理敏感个人信息 单独同意", "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"] == "处理敏感个人信息 单独同意"
    assert "《个人信息保护法》第二十九条" in [x["citation"] for x in body["results"]]


@pytest.mark.parametrize("question", [
    "处理敏感个人信息需要取得个人的单独同意吗？",
    "Is separate consent required to process sensitive personal information?",
])
def test_ask_cites_pipl_article_29_verbatim(client, question):
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["question"] == question and not body["abstained"]
    cites = {c["citation"]: c for c in body["citations"]}
    assert any(c.startswith("《个人信息保护法》第二十九条") for c in cites), list(cites)
    pipl = corpus_text("pipl")
    for c in body["citations"]:
        if c["provision_id"].startswith("pipl/"):
            assert re.sub(r"\s+", "", c["quote"]) in pipl  # quotes are verbatim


def test_ask_validation_error_is_a_problem(client):
    body = assert_problem(client.post("/v1/ask", json={"question": ""}), 422)
    assert body["errors"][0]["field"] == "question"


def _checklist(client, fmt: str) -> httpx.Response:
    r = client.post("/v1/checklists", json={"actor": "医疗器械注册人", "stage": "post-market", "format": fmt})
    assert r.status_code == 200, r.text
    return r


def test_checklist_xlsx_for_registrant_post_market(client):
    from openpyxl import load_workbook

    r = _checklist(client, "xlsx")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert 'filename="checklist-md-registrant-post-market.xlsx"' in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content))["Register"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["编号 Register ID", "出处 Citation", "类型 Type"] and header[-8:-1] == [
        "负责人 Owner", "控制措施 Control", "证据 Evidence", "状态 Status", "复核日期 Review date", "备注 Notes",
        "核验人 Verified by"]
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref.startswith("A1:")
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == int(r.headers["x-checklist-rows"]) > 0
    art62 = [x for x in rows if x["出处 Citation"].startswith("《医疗器械监督管理条例》第六十二条第一款")]
    assert art62, "the adverse-event monitoring duty is missing"
    assert "医疗器械监督管理条例（2024年修订）" in art62[0]["出处 Citation"] or "2024" in art62[0]["出处 Citation"]
    assert "不良事件监测体系" in art62[0]["条文原文 Clause (verbatim)"]
    assert all(x["负责人 Owner"] in (None, "") and x["状态 Status"] in (None, "") for x in rows)


def test_checklist_docx_has_a_heading_per_stage(client):
    from docx import Document

    r = client.post("/v1/checklists", json={"actor": "医疗器械注册人", "stage": "post-market", "format": "docx",
                                            "group": "stage"})
    assert r.status_code == 200, r.text
    d = Document(io.BytesIO(r.content))
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert any(h.startswith("上市后监测与不良事件") for h in headings), headings
    cells = " ".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert "《医疗器械监督管理条例》第六十二条第一款" in cells


def test_checklist_json_and_csv_match(client):
    j = _checklist(client, "json").json()
    csv_text = _checklist(client, "csv").content.decode("utf-8-sig")
    assert j["count"] == len(j["rows"]) > 0
    assert j["filters"] == {"actor": "md-registrant", "stage": "post-market"}
    for row in j["rows"][:5]:
        assert row["id"] in csv_text and row["citation"] in csv_text


def test_checklist_unknown_format_is_refused(client):
    body = assert_problem(client.post("/v1/checklists", json={"format": "pdf"}), 422)
    assert body["errors"][0]["field"] == "format"


# ---------------------------------------------------------------- limits and outages


def test_oversized_request_is_413(shared_backend, keystore, api_key):
    app = create_app(backend=shared_backend, keys=keystore, settings=ApiSettings(max_body_bytes=1024))
    with serve(app) as url:
        h = {"Authorization": f"Bearer {api_key}"}
        big = json.dumps({"question": "个人信息" * 400}).encode()
        r = httpx.post(f"{url}/v1/ask", content=big, headers={**h, "content-type": "application/json"})
        assert "1024-byte" in assert_problem(r, 413)["detail"]

        def chunks():  # no Content-Length: the limit must still hold
            for _ in range(8):
                yield b" " * 512

        r2 = httpx.post(f"{url}/v1/ask", content=chunks(), headers={**h, "content-type": "application/json"})
        assert_problem(r2, 413)


def test_rate_limit_is_429_with_retry_after(shared_backend, keystore, api_key):
    app = create_app(backend=shared_backend, keys=keystore, settings=ApiSettings(rate_limit=3, rate_window_s=60))
    with serve(app) as url:
        h = {"Authorization": f"Bearer {api_key}"}
        codes = [httpx.get(f"{url}/v1/documents", headers=h, timeout=60).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = httpx.get(f"{url}/v1/documents", headers=h)
        body = assert_problem(r, 429)
        assert int(r.headers["retry-after"]) >= 1 and "3 requests per 60 s" in body["detail"]


def test_store_outage_is_503_and_recovers_by_itself(loaded_store, keystore, api_key):
    proxy = TcpProxy(bolt_port(loaded_store)).start()
    backend = Backend(connect=lambda: connect_like(loaded_store, port=proxy.port), reconnect_after_s=0.5)
    app = create_app(backend=backend, keys=keystore)
    h = {"Authorization": f"Bearer {api_key}"}
    with serve(app) as url:
        assert httpx.get(f"{url}/v1/provisions/pipl/art29", headers=h, timeout=60).status_code == 200
        proxy.stop()
        r = httpx.get(f"{url}/v1/provisions/pipl/art29", headers=h, timeout=30)  # an answer, not a hang
        body = assert_problem(r, 503)
        assert r.headers["retry-after"] == "5" and "yigui db start" in body["detail"]
        assert httpx.get(f"{url}/healthz", timeout=60).status_code == 503
        proxy.start()
        r = get_until_ok(f"{url}/v1/provisions/pipl/art29", h)
        assert r.status_code == 200 and r.json()["citation"] == "《个人信息保护法》第二十九条"
    proxy.stop()
    backend.close()


def test_blank_or_garbage_input_is_a_client_error_not_a_500(client):
    assert_problem(client.get("/v1/search", params={"q": "   "}), 422)
    assert_problem(client.post("/v1/ask", json={"question": "   "}), 422)
    assert_problem(client.get("/v1/provisions/《不存在的法》第九九九条"), 404)
    assert_problem(client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"}), 400)


def test_repeated_bad_keys_from_one_address_are_throttled(shared_backend, keystore, api_key):
    app = create_app(backend=shared_backend, keys=keystore, settings=ApiSettings(auth_failures=3))
    with serve(app) as url:
        bad = {"Authorization": "Bearer " + api_key[:-4] + "xxxx"}  # a real key id, a wrong secret
        assert [httpx.get(f"{url}/v1/documents", headers=bad).status_code for _ in range(3)] == [401] * 3
        r = httpx.get(f"{url}/v1/documents", headers=bad)
        assert "failed authentications" in assert_problem(r, 429)["detail"]
        assert int(r.headers["retry-after"]) >= 1
        # another client's valid key from the same address is not locked out by those failures
        rec, other = keystore.create("second-client")
        try:
            good = {"Authorization": f"Bearer {other}"}
            assert httpx.get(f"{url}/v1/documents", headers=good).status_code == 200
            # garbage keys (no scrypt spent) fill their own bucket and do not block the valid one either
            junk = {"Authorization": "Bearer not-a-key"}
            assert [httpx.get(f"{url}/v1/documents", headers=junk).status_code for _ in range(4)][-1] == 429
            assert httpx.get(f"{url}/v1/documents", headers=good).status_code == 200
        finally:
            keystore.revoke(rec.id)
