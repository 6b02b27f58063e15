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
    c = res.citations[0]  # an LLM answer's citations carry what an extractive one's do (doc, version flag, English)
    assert (c.doc_id, c.current) == ("pipl", True) and c.citation_en == "Personal Information Protection Law, Article 29"


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


# ------------------------------------------------------------------------------------- numerals, 款 and 项 forms

PIPL_13_1_2 = "为订立、履行个人作为一方当事人的合同所必需，或者按照依法制定的劳动规章制度和依法签订的集体合同实施人力资源管理所必需；"


def _unit_clauses():
    from qa.llm import Clause

    return [Clause("pipl/art29", "《个人信息保护法》第二十九条", "处理敏感个人信息应当取得个人的单独同意；"),
            Clause("pipl/art13/p1/i2", "《个人信息保护法》第十三条第一款第（二）项", PIPL_13_1_2)]


@pytest.mark.parametrize("written,pid", [
    ("《个人信息保护法》第二十九条", "pipl/art29"),
    ("《个人信息保护法》第29条", "pipl/art29"),
    ("《中华人民共和国个人信息保护法》第２９条", "pipl/art29"),
    ("个人信息保护法第29条", "pipl/art29"),
    ("PIPL Article 29", "pipl/art29"),
    ("《个人信息保护法》第十三条第一款第（二）项", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第13条第1款第（二）项", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第十三条第一款第二项", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第13条第1款第2项", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第十三条第一款（二）", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第13条第1款(2)", "pipl/art13/p1/i2"),
    ("《个人信息保护法》第十三条", "pipl/art13/p1/i2"),  # contains the shown item: pinned to it, as before
])
def test_verify_resolves_every_numeral_and_item_form_to_the_same_clause(written, pid):
    from qa.llm import verify

    v = verify(f"依据{written}，可以处理。", _unit_clauses())
    assert v.cited_ids == [pid] and v.removed == [], v.removed
    assert v.answer == f"依据{written}，可以处理。"


@pytest.mark.parametrize("written", [
    "《个人信息保护法》第99条",  # no such article
    "《个人信息保护法》第30条",  # a real article that was not shown
    "个人信息保护法第30条",
    "《数据安全法》第29条",  # the shown article number under another law
    "《个人信息保护法》第13条第1款第（三）项",  # a sibling of the shown item
    "《个人信息保护法》第十三条第一款第三项",
    "《个人信息保护法》第13条第1款（3）",
    "《个人信息保护法》第29条第2款",  # finer than the shown article, and there is no such paragraph
    "《个人信息保护法》第二十九条之一",
    "《个人信息保护法》第二十九九条",
    "Article 99 of the PIPL",
])
def test_verify_catches_an_invented_citation_in_any_form(written):
    from qa.llm import verify

    v = verify(f"依据{written}，可以处理。[pipl/art29]", _unit_clauses())
    assert v.answer == "" and v.cited_ids == []
    (note,) = v.removed
    assert "not retrieved" in note and (written.replace("第三项", "第（三）项").replace("（3）", "第（3）项") in note), note


def test_verify_pins_an_item_inside_a_shown_paragraph_only_when_the_corpus_has_it():
    from qa.llm import Clause, verify

    shown = [Clause("pipl/art13/p1", "《个人信息保护法》第十三条第一款", "符合下列情形之一的，个人信息处理者方可处理个人信息：……")]
    corpus = {f"pipl/art13/p1/i{n}": None for n in range(1, 8)} | {"pipl/art13/p1": None, "pipl/art13/p2": None}
    s = "订立合同所必需的，可以处理（《个人信息保护法》第13条第1款第2项）。"
    assert verify(s, shown, corpus).cited_ids == ["pipl/art13/p1/i2"]
    assert verify(s, shown).cited_ids == []  # without the corpus a finer citation cannot be checked: removed
    assert verify("见《个人信息保护法》第13条第1款第（九）项。", shown, corpus).cited_ids == []  # no item 9
    assert verify("见《个人信息保护法》第13条第2款。", shown, corpus).cited_ids == []  # exists, but was not shown
    assert verify("见《个人信息保护法》第13条第1款。", shown, corpus).cited_ids == ["pipl/art13/p1"]


def test_arabic_numeral_citation_of_a_supplied_clause_is_accepted(retriever, llm_env):
    script = (
        "医院处理病历属于处理敏感个人信息，应当取得个人的单独同意（《个人信息保护法》第29条）。\n"
        "个人信息保护法第29条规定“处理敏感个人信息应当取得个人的单独同意”。\n"
        "根据《个人信息保护法》第99条，医院还须向卫健委报备。[pipl/art29]\n"
        "《数据安全法》第80条规定医疗数据一律不得用于训练。"
    )
    with FakeOpenAI([script]) as fake:
        llm_env(fake.base_url)
        res = _llm_answerer(retriever).ask(Q)
        shown = fake.requests[0]["body"]["messages"][1]["content"]
    assert "[pipl/art29] 《个人信息保护法》第二十九条" in shown  # the model was shown the clause in Chinese numerals
    assert res.mode == "llm" and not res.abstained
    assert res.answer.splitlines() == ["医院处理病历属于处理敏感个人信息，应当取得个人的单独同意（《个人信息保护法》第29条）。",
                                       "个人信息保护法第29条规定“处理敏感个人信息应当取得个人的单独同意”。"]
    assert [c.provision_id for c in res.citations] == ["pipl/art29"]
    assert res.citations[0].citation == "《个人信息保护法》第二十九条"
    assert res.citations[0].quote == retriever.by_id["pipl/art29"].text
    notes = "\n".join(res.notes)
    assert "《个人信息保护法》第99条" in notes and "《数据安全法》第80条" in notes


def test_paragraph_and_item_citations_are_accepted_and_pinned(retriever, llm_env):
    q = "为订立合同所必需处理个人信息需要同意吗？"
    script = (
        "为订立、履行个人作为一方当事人的合同所必需的，个人信息处理者可以处理个人信息（《个人信息保护法》第13条第1款第（二）项）。\n"
        "这一情形见《个人信息保护法》第十三条第一款第二项。\n"
        "《个人信息保护法》第十三条第一款（二）也适用于人力资源管理。\n"
        "符合该款所列情形之一的，方可处理个人信息（《个人信息保护法》第13条第1款）。\n"
        "根据《个人信息保护法》第13条第1款第（九）项，科研用途一律无需同意。\n"
        "《个人信息保护法》第130条规定医院可以直接处理。"
    )
    with FakeOpenAI([script]) as fake:
        llm_env(fake.base_url)
        res = _llm_answerer(retriever).ask(q)
        shown = fake.requests[0]["body"]["messages"][1]["content"]
    # the paragraph was shown (its items inside it), not the item on its own
    assert "[pipl/art13/p1] 《个人信息保护法》第十三条第一款\n" in shown and "[pipl/art13/p1/i2]" not in shown
    assert not res.abstained
    kept = res.answer.splitlines()
    assert len(kept) == 4 and "第（九）项" not in res.answer and "第130条" not in res.answer
    by_id = {c.provision_id: c for c in res.citations}
    assert list(by_id) == ["pipl/art13/p1/i2", "pipl/art13/p1"]
    item = by_id["pipl/art13/p1/i2"]
    assert item.citation == "《个人信息保护法》第十三条第一款第（二）项" and item.article == 13 and item.paragraph == 1
    assert item.quote == retriever.by_id["pipl/art13/p1/i2"].text and "订立、履行" in item.quote
    assert item.quote in retriever.by_id["pipl/art13/p1"].text  # inside the clause the model was shown
    para = by_id["pipl/art13/p1"]
    assert para.citation == "《个人信息保护法》第十三条第一款" and para.paragraph == 1
    notes = "\n".join(res.notes)
    assert "《个人信息保护法》第13条第1款第（九）项" in notes and "《个人信息保护法》第130条" in notes


def test_invented_arabic_article_number_alone_makes_the_answer_abstain(retriever, llm_env):
    script = "根据《个人信息保护法》第99条，医院无需任何同意即可训练模型。[pipl/art29]"
    with FakeOpenAI([script]) as fake:
        llm_env(fake.base_url)
        res = _llm_answerer(retriever).ask(Q)
    assert res.abstained and res.citations == []
    assert res.answer == "大模型的回答无法与检索到的条文核对一致，未予采用。"
    assert any("《个人信息保护法》第99条" in n and "not retrieved" in n for n in res.notes), res.notes
