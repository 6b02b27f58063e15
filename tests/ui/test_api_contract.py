"""The published contract is what is served: problem+json declared and sent for every error, one `type`
convention, 400 for malformed JSON, 422 naming the valid values of an unknown filter, totals and paging, typed
`inherited_via`, readiness — and the CLI, the API and the app giving the same obligations (one core)."""
from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

PROBLEM = "application/problem+json"


def _problem(r: httpx.Response, status: int, slug: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    body = r.json()
    assert body["type"] == f"/problems/{slug}" and body["status"] == status and body["title"] and body["detail"]
    return body


def test_openapi_declares_problem_json_for_every_error_status(api):
    url, _ = api
    spec = httpx.get(f"{url}/openapi.json", timeout=60).json()
    assert "HTTPValidationError" not in json.dumps(spec)
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    seen = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = {int(c) for c in op["responses"] if c.isdigit()}
            if path.startswith("/v1/"):
                assert {401, 429, 503, 500} <= codes, (method, path, codes)
            for code, resp in op["responses"].items():
                if int(code) < 400 or path in ("/healthz", "/readyz"):
                    continue
                assert list(resp["content"]) == [PROBLEM], (method, path, code)
                assert resp["content"][PROBLEM]["schema"]["$ref"] == "#/components/schemas/Problem"
                seen += 1
    assert seen >= 30
    body_ops = [spec["paths"]["/v1/ask"]["post"], spec["paths"]["/v1/checklists"]["post"]]
    assert all({"400", "413", "422"} <= set(op["responses"]) for op in body_ops)
    assert "404" in spec["paths"]["/v1/provisions/{provision_id}"]["get"]["responses"]


def test_openapi_provision_schema_is_typed_all_the_way_down(api):
    """GET /v1/provisions answers graph.models.ProvisionDetail: the neighbourhood is declared field by field (cites,
    cited_by, penalties, … as typed lists), never a free-form object."""
    url, _ = api
    spec = httpx.get(f"{url}/openapi.json", timeout=60).json()
    schemas = spec["components"]["schemas"]
    ok = spec["paths"]["/v1/provisions/{provision_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["$ref"] == "#/components/schemas/ProvisionDetail"

    def ref(node: dict) -> dict:
        return schemas[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    detail = schemas["ProvisionDetail"]
    nb = ref(detail["properties"]["neighbourhood"])
    assert {"cites", "cited_by", "penalties", "sanctions", "obligations", "translation", "versions"} <= set(
        nb["properties"])
    cite = ref(nb["properties"]["cites"]["items"])
    assert {"id", "citation", "via"} <= set(cite["properties"])
    seen: set[str] = set()

    def walk(node):  # every schema reachable from ProvisionDetail declares its fields
        if isinstance(node, dict):
            assert "additionalProperties" not in node or node["additionalProperties"] is False, node
            if "$ref" in node and node["$ref"] not in seen:
                seen.add(node["$ref"])
                walk(ref(node))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(detail)
    assert len(seen) >= 8
    assert "DocumentItem" in json.dumps(spec["paths"]["/v1/documents"]) or "DocumentList" in json.dumps(
        spec["paths"]["/v1/documents"])
    assert {"incomplete", "missing_articles"} <= set(schemas["DocumentItem"]["properties"])


def test_malformed_json_is_400_and_the_type_resolves(client, api):
    url, _ = api
    r = client.post("/v1/ask", content=b'{"question": "hi"', headers={"content-type": "application/json"})
    body = _problem(r, 400, "malformed-request")
    assert "not valid JSON" in body["detail"]
    t = httpx.get(url + body["type"], timeout=60)  # the type URI is served, not a dead link
    assert t.status_code == 200 and t.json()["status"] == 400
    assert httpx.get(f"{url}/problems/no-such-problem", timeout=60).status_code == 404


@pytest.mark.parametrize("param,value,valid", [
    ("actor", "alien", "md-registrant"),
    ("stage", "lunch", "post-market"),
    ("doc", "no-such-law", "pipl"),
    ("level", "statute", "administrative_regulation"),
])
def test_every_unknown_filter_is_422_listing_the_valid_values(client, param, value, valid):
    r = client.get("/v1/obligations", params={param: value})
    body = _problem(r, 422, "unknown-filter-value")
    err = body["errors"][0]
    assert err["field"] == param and value in body["detail"]
    assert valid in err["valid"]
    r = client.post("/v1/checklists", json={param: value, "format": "json"})
    assert _problem(r, 422, "unknown-filter-value")["errors"][0]["field"] == param


def test_actor_names_are_accepted_as_the_cli_accepts_them(client):
    by_id = client.get("/v1/obligations", params={"actor": "md-registrant", "limit": 5}).json()
    by_name = client.get("/v1/obligations", params={"actor": "md registrant", "limit": 5}).json()
    by_zh = client.get("/v1/obligations", params={"actor": "医疗器械注册人", "limit": 5}).json()
    assert by_id["total"] == by_name["total"] == by_zh["total"] > 0
    assert [o["id"] for o in by_id["items"]] == [o["id"] for o in by_name["items"]]


def test_total_and_paging_reach_the_last_row(client):
    first = client.get("/v1/obligations", params={"doc": "pipl", "limit": 40}).json()
    total = first["total"]
    assert total > 40 and first["count"] == 40 and first["next_offset"] == 40
    ids, offset = [], 0
    while offset is not None:
        page = client.get("/v1/obligations", params={"doc": "pipl", "limit": 40, "offset": offset}).json()
        assert page["total"] == total
        ids += [o["id"] for o in page["items"]]
        offset = page["next_offset"]
    assert len(ids) == len(set(ids)) == total


def test_inherited_via_is_a_chain_of_ids_with_a_reason(client):
    page = client.get("/v1/obligations", params={"actor": "medical-institution", "doc": "pipl", "limit": 200}).json()
    via = [o["inherited_via"] for o in page["items"] if o["inherited_via"]]
    assert via, "a hospital inherits the PI handler's PIPL duties"
    v = via[0]
    assert v["path"][0] == "medical-institution" and v["path"][-1] == v["actor"] == "pi-handler"
    assert v["relation"] in ("broader", "overlap") and "个人信息处理者" in v["reason"]


def test_readiness_is_exposed(api, client, loaded_store):
    url, _ = api
    client.get("/v1/search", params={"q": "单独同意"})  # the shared backend is warm after this
    r = httpx.get(f"{url}/readyz", timeout=60)
    body = r.json()
    assert r.status_code == 200 and body == {"ready": True, "store": "up", "qa": "ready", "detail": None,
                                             "index_generation": loaded_store.generation()}
    assert len(body["index_generation"]) == 16
    h = httpx.get(f"{url}/healthz", timeout=60).json()
    assert h["ready"] is True and h["qa"] == "ready" and h["stats"]["documents"] > 20


def test_readyz_is_503_until_the_index_is_built(loaded_store, keystore):
    """A fresh server says 'not ready' (with Retry-After) before its first build, and ask is 503 then too."""
    from ui_support import connect_like, serve

    from ui.api import ApiSettings, create_app
    from ui.core import Backend

    backend = Backend(connect=lambda: connect_like(loaded_store))
    try:
        app = create_app(backend=backend, keys=keystore, settings=ApiSettings(rate_limit=10_000))
        with serve(app) as url:
            r = httpx.get(f"{url}/readyz", timeout=60)
            if backend.qa_ready:  # another test of this process warmed qa.service's index: ready at once is right
                assert r.status_code == 200
            else:
                assert r.status_code == 503 and r.headers["retry-after"]
                assert r.json()["ready"] is False and r.json()["qa"] in ("cold", "warming")
    finally:
        backend.close()


def test_citations_carry_doc_id_current_and_english(client):
    r = client.post("/v1/ask", json={"question": "处理敏感个人信息需要取得个人的单独同意吗？"})
    assert r.status_code == 200, r.text
    cites = r.json()["citations"]
    c = next(c for c in cites if c["provision_id"].startswith("pipl/art29"))
    assert c["doc_id"] == "pipl" and c["current"] is True
    assert c["citation_en"] and "Article 29" in c["citation_en"]


def test_cli_and_api_list_the_same_obligations(client, yigui_home):
    from ui.cli import app

    api = client.get("/v1/obligations", params={"actor": "md registrant", "stage": "post-market",
                                                "limit": 30}).json()
    res = CliRunner().invoke(app, ["obligations", "-a", "md registrant", "-s", "post-market", "-n", "30", "--json"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    assert cli["total"] == api["total"] > 0
    assert [o["id"] for o in cli["items"]] == [o["id"] for o in api["items"]]
    bad = CliRunner().invoke(app, ["obligations", "--doc", "no-such-law"])
    assert bad.exit_code == 2 and "no-such-law" in bad.output and "pipl" in bad.output


def test_checklist_format_and_suffix_must_agree(tmp_path, yigui_home):
    from ui.cli import app

    res = CliRunner().invoke(app, ["checklist", "-o", str(tmp_path / "x.csv"), "--format", "xlsx", "-d", "pipl"])
    assert res.exit_code == 2 and "disagree" in res.output
    assert not (tmp_path / "x.csv").exists()
    res = CliRunner().invoke(app, ["checklist", "-o", str(tmp_path / "x.csv"), "-d", "pipl", "-m", "prohibition"])
    assert res.exit_code == 0, res.output
    head = (tmp_path / "x.csv").read_bytes()[:64]
    assert not head.startswith(b"PK")  # a real CSV, not a zip (xlsx) named .csv
