"""LLM answers are verified: invented citations and altered quotes are removed and reported (fake OpenAI server)."""
from __future__ import annotations

import pytest

from tests.qa.fake_llm import FakeOpenAI

Q = "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？"


@pytest.fixture()
def llm_env(monkeypatch):
    def configure(base_url):
        monkeypatch.setenv("YIGUI_LLM_BASE_URL", base_url)
        monkeypatch.setenv("YIGUI_LLM_MODEL", "scripted-model")
        monkeypatch.setenv("YIGUI_LLM_API_KEY", "test-key")
    return configure


def _llm_answerer(retriever):
    from qa.answer import Answerer
    from qa.llm import llm_from_env

    return Answerer(retriever, llm=llm_from_env())


def test_verification_keeps_true_sentences_and_drops_invented_citations_and_altered_quotes(retriever, llm_env):
    script = (
        "处理病历等医疗健康信息属于处理敏感个人信息，“处理敏感个人信息应当取得个人的单独同意”。[pipl/art29]\n"
        "根据《个人信息保护法》第九十九条，医院还须向卫健委报备。[pipl/art99]\n"
        "医院须“取得患者的书面同意后方可训练模型”。[pipl/art29]\n"
        "《数据安全法》第八十条规定医疗数据一律不得用于训练。\n"
        "此外，训练完成后必须立即删除全部数据。"
    )
    with FakeOpenAI([script]) as fake:
        llm_env(fake.base_url)
        res = _llm_answerer(retriever).ask(Q)
        shown = fake.requests[0]["body"]["messages"][1]["content"]
    assert res.mode == "llm" and not res.abstained
    # the model saw the retrieved clauses with their ids, and the key header went through
    assert "[pipl/art29]" in shown and fake.requests[0]["auth"] == "Bearer test-key"
    assert "“处理敏感个人信息应当取得个人的单独同意”" in res.answer
    assert "第九十九条" not in res.answer and "pipl/art99" not in res.answer
    assert "书面同意后方可训练模型" not in res.answer
    assert "第八十条" not in res.answer
    assert "立即删除全部数据" not in res.answer
    notes = "\n".join(res.notes)
    assert "pipl/art99" in notes and "《个人信息保护法》第九十九条" in notes
    assert "《数据安全法》第八十条" in notes
    assert "not verbatim" in notes and "取得患者的书面同意后方可训练模型" in notes
    assert "uncited" in notes
    assert [c.provision_id for c in res.citations] == ["pipl/art29"]
    assert res.citations[0].quote == retriever.by_id["pipl/art29"].text


def test_answer_with_nothing_verifiable_abstains(retriever, llm_env):
    script = "根据《医疗器械监督管理条例》第二百条，无需任何同意。[mdsr-2024/art200]"
    with FakeOpenAI([script]) as fake:
        llm_env(fake.base_url)
        res = _llm_answerer(retriever).ask(Q)
    assert res.abstained and res.citations == []
    assert any("mdsr-2024/art200" in n for n in res.notes)


def test_unreachable_endpoint_is_reported_not_raised(retriever, llm_env):
    llm_env("http://127.0.0.1:9/v1")  # discard port: connection refused
    res = _llm_answerer(retriever).ask(Q)
    assert res.abstained and any("YIGUI_LLM_BASE_URL" in n for n in res.notes)


def test_verify_unit_textual_citation_prefix_and_english_quote():
    from qa.llm import Clause, verify

    cl = [Clause("pipl/art29", "《个人信息保护法》第二十九条", "处理敏感个人信息应当取得个人的单独同意；法律、行政法规规定处理敏感个人信息应当取得书面同意的，从其规定。",
                 "To process sensitive personal information, the separate consent of the individual shall be obtained.")]
    v = verify('Per 《个人信息保护法》第二十九条, "the separate consent of the individual shall be obtained". '
               'Also "consent is never needed" [pipl/art29].', cl)
    assert v.cited_ids == ["pipl/art29"]
    assert "separate consent of the individual" in v.answer
    assert "never needed" not in v.answer and len(v.removed) == 1
