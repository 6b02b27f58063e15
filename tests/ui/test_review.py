"""Review of a user's own document: each required element covered (with the document's sentence verbatim), partial
or missing, with the requiring clause quoted from the graph; the profile decides the conditional elements; .docx
and .txt; core, CLI and API."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from test_ui_api import assert_problem
from test_ui_cli import yigui

from graph.applicability import Profile
from graph.review import read_document, review_text
from ui.core import Core, InvalidFilter

REPO = Path(__file__).resolve().parents[2]
DPA = REPO / "corpus/eval/review/train/dpa-01.txt"  # leaves out the period and the sub-entrustment ban


@pytest.fixture(scope="module")
def core(shared_backend):
    return Core(shared_backend)


def test_missing_elements_are_found_and_covered_ones_quote_the_document(core):
    res = core.review(DPA)
    by = {e.id: e for e in res.elements}
    assert res.kind == "dpa" and res.detected
    assert by["period"].verdict == "missing" and by["no-subentrust"].verdict == "missing"
    assert by["period"].citation == "《个人信息保护法》第二十一条第一款"
    assert "应当与受托人约定委托处理的目的、期限" in by["period"].clause  # the requiring clause, from the graph
    text = DPA.read_text(encoding="utf-8")
    for e in res.elements:
        if e.verdict != "missing":
            assert e.span and e.span in text and e.line  # never covered without a verbatim span
    assert by["return-delete"].span.startswith("第八条 本协议终止后")
    assert res.counts == {"covered": 8, "partial": 0, "missing": 2}


def test_a_deletion_on_request_is_not_the_return_or_delete_on_termination():
    text = "委托处理协议\n乙方应当协助甲方响应个人删除个人信息的请求。\n受托方不得转委托。"
    by = {e.id: e for e in review_text(text, kind="dpa").elements}
    assert by["return-delete"].verdict == "missing"


def test_the_profile_decides_the_conditional_elements():
    text = (REPO / "corpus/eval/review/train/notice-03.txt").read_text(encoding="utf-8")
    plain = review_text(text, profile=Profile(data={"personal_information": True}))
    assert {"separate-consent", "export-consent", "guardian-consent"} <= set(plain.not_required)
    health = review_text(text, profile=Profile(data={"health": True}))
    by = {e.id: e for e in health.elements}
    assert by["separate-consent"].verdict == "missing" and by["separate-consent"].provision_id == "pipl/art29"
    assert "export-consent" in health.not_required


def test_docx_is_read_and_an_unknown_kind_is_named(core, tmp_path):
    doc = Document()
    for line in DPA.read_text(encoding="utf-8").splitlines():
        doc.add_paragraph(line)
    p = tmp_path / "vendor-dpa.docx"
    doc.save(p)
    res = core.review(p)
    assert res.file == "vendor-dpa.docx" and res.counts["missing"] == 2
    assert all(e.span in read_document(p) for e in res.elements if e.span)
    with pytest.raises(InvalidFilter, match="document kind 'lease' is not known"):
        core.review(p, kind="lease")
    odd = tmp_path / "note.txt"
    odd.write_text("今天天气很好。", encoding="utf-8")
    with pytest.raises(InvalidFilter, match="could not tell what kind of document"):
        core.review(odd)


def test_cli_review(loaded_store, tmp_path):
    out = tmp_path / "review.xlsx"
    r = yigui("review", str(DPA), "-o", str(out))
    assert r.returncode == 1, r.stderr  # an element is missing
    assert "missing  委托处理的期限" in r.stdout
    ws = load_workbook(out)["Review"]
    verdicts = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert verdicts.count("缺失 missing") == 2
    r = yigui("review", str(DPA), "--json")
    assert json.loads(r.stdout)["counts"]["missing"] == 2
    r = yigui("review", str(tmp_path / "nope.docx"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_api_review(client):
    files = {"file": ("dpa.txt", DPA.read_bytes(), "text/plain")}
    r = client.post("/v1/review", files=files)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["missing"] == 2 and body["kind"] == "dpa"
    x = client.post("/v1/review", files=files, data={"format": "xlsx"})
    assert x.status_code == 200 and load_workbook(io.BytesIO(x.content))["Review"].max_row == 11
    prof = json.dumps({"data": {"health": True}})
    notice = {"file": ("n.txt", (REPO / "corpus/eval/review/train/notice-03.txt").read_bytes(), "text/plain")}
    n = client.post("/v1/review", files=notice, data={"profile": prof}).json()
    assert any(e["id"] == "separate-consent" and e["verdict"] == "missing" for e in n["elements"])
    assert_problem(client.post("/v1/review", files=files, data={"kind": "lease"}), 422)
    assert_problem(client.post("/v1/review", files={"file": ("x.exe", b"MZ", "application/octet-stream")}), 422)
    # a file name is only a name: no path, no empty or dot name reaching the file system
    for odd in ("..", "", "../../etc/passwd.txt"):
        assert_problem(client.post("/v1/review", files={"file": (odd, "天气很好。".encode(), "text/plain")}), 422)


def test_shared_word_lists_expand_into_the_cues():
    """`{data_zh}` and the other review.yaml `terms` are expanded once for every cue that names them."""
    from graph.review import kinds

    cats = next(r for r in kinds()["dpa"]["requirements"] if r["id"] == "categories")["cues"]
    assert "{data_zh}" not in cats and "身份证号?" in cats
    text = "委托处理协议\n乙方处理的资料含患者姓名、住院号和诊断。"
    by = {e.id: e for e in review_text(text, kind="dpa").elements}
    assert by["categories"].verdict == "covered" and by["categories"].span == "乙方处理的资料含患者姓名、住院号和诊断。"


def test_an_overseas_recipient_must_be_named_not_just_abroad():
    """PIPL 39 asks for the recipient's name and contact: "sent to a lab abroad" does not cover it, a named company
    with its address does."""
    prof = Profile(data={"personal_information": True}, activities=["cross-border-transfer"])
    vague = "隐私政策\n部分数据需要传输到境外合作实验室进行分析。"
    named = "隐私政策\n您的数据将传输至我们位于香港的关联公司康健国际有限公司（联系邮箱：dpo@example.hk）。"
    assert {e.id: e for e in review_text(vague, profile=prof).elements}["export-recipient"].verdict == "missing"
    hit = {e.id: e for e in review_text(named, profile=prof).elements}["export-recipient"]
    assert hit.verdict == "covered" and "康健国际有限公司" in hit.span
