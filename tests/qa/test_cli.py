"""CLI JSON contracts of `yigui search`, `yigui ask` and `yigui eval` (typer's CliRunner, in process)."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

SEARCH_FIELDS = {"provision_id", "doc_id", "doc_title", "version", "article", "paragraph", "citation", "score", "text"}
CITE_FIELDS = {"provision_id", "doc_title", "article", "paragraph", "citation", "quote"}


@pytest.fixture(scope="module")
def cli(retriever):
    from ui.cli import app

    runner = CliRunner()

    def run(*args):
        res = runner.invoke(app, list(args))
        assert res.exit_code == 0, res.output
        return res.output

    return run


def test_search_json_contract(cli):
    out = json.loads(cli("search", "处理敏感个人信息需要单独同意吗？", "--json", "-k", "3"))
    assert set(out) >= {"query", "results", "took_ms"} and out["query"] == "处理敏感个人信息需要单独同意吗？"
    assert len(out["results"]) == 3
    for r in out["results"]:
        assert set(r) >= SEARCH_FIELDS
        assert isinstance(r["score"], float) and isinstance(r["article"], int)
        assert r["text"] and r["citation"].startswith("《") and r["provision_id"].startswith(r["doc_id"] + "/")
    scores = [r["score"] for r in out["results"]]
    assert scores == sorted(scores, reverse=True)
    top = out["results"][0]
    assert top["doc_title"] == "中华人民共和国个人信息保护法" and top["citation"] == "《个人信息保护法》第二十九条"


def test_ask_json_contract(cli):
    out = json.loads(cli("ask", "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？", "--json", "--no-llm"))
    assert set(out) >= {"question", "answer", "abstained", "citations", "took_ms"}
    assert out["abstained"] is False and out["citations"]
    for c in out["citations"]:
        assert set(c) >= CITE_FIELDS
    assert any(c["citation"] == "《个人信息保护法》第二十九条" for c in out["citations"])


def test_queries_file_one_object_per_line_in_order(cli, tmp_path):
    f = tmp_path / "q.txt"
    f.write_text("医疗器械按照风险程度分为几类？\n\nWhat is the VAT rate on imported electronics?\n"
                 '{"q": "数据出境安全评估的结果有效期多久？"}\n', encoding="utf-8")
    lines = [json.loads(x) for x in cli("ask", "--queries", str(f), "--json", "--no-llm").splitlines() if x.strip()]
    assert [x["question"] for x in lines] == ["医疗器械按照风险程度分为几类？", "What is the VAT rate on imported electronics?",
                                              "数据出境安全评估的结果有效期多久？"]
    assert [x["abstained"] for x in lines] == [False, True, False]
    assert any(c["provision_id"].startswith("data-export-assessment/art14") and
               c["citation"].startswith("《数据出境安全评估办法》第十四条") for c in lines[2]["citations"]), lines[2]["citations"]
    assert lines[1]["citations"] == []
    s = [json.loads(x) for x in cli("search", "--queries", str(f), "--json", "-k", "2").splitlines() if x.strip()]
    assert len(s) == 3 and all(len(x["results"]) == 2 for x in s)


def test_human_readable_output(cli):
    out = cli("search", "数据出境安全评估的结果有效期多久？", "-k", "2")
    assert "《数据出境安全评估办法》第十四条" in out and "{" not in out.splitlines()[0]


def test_eval_prints_metrics(cli, tmp_path):
    f = tmp_path / "mini.jsonl"
    f.write_text('{"id":"a","lang":"zh","q":"医疗器械按照风险程度分为几类？","gold":[["医疗器械监督管理条例",6]]}\n'
                 '{"id":"b","lang":"en","q":"How long is a data export security assessment valid?",'
                 '"gold":[["数据出境安全评估办法",14]]}\n', encoding="utf-8")
    out = json.loads(cli("eval", str(f), "--json"))
    assert out["overall"]["n"] == 2 and out["overall"]["hit@5"] == 1.0
    assert set(out) >= {"overall", "zh", "en", "latency_ms"}
    assert set(out["latency_ms"]) >= {"p50", "p95"}
    assert 0 < out["latency_ms"]["p50"] <= out["latency_ms"]["p95"]
    human = cli("eval", str(f))
    assert "hit@5" in human and "p95" in human


def test_bad_queries_file_names_the_file(tmp_path):
    from ui.cli import app

    res = CliRunner().invoke(app, ["ask", "--queries", str(tmp_path / "missing.txt")])
    assert res.exit_code == 2 and "missing.txt" in res.output
