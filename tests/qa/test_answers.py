"""Answers: every quotation verbatim clause text over all questions of both sets; out-of-scope questions abstain;
versions are stated; instruments that are not loaded are named."""
from __future__ import annotations

import re

import pytest

from qa.eval import load_questions

QUOTE = re.compile(r"“([^”]+)”")
REFUSAL_OUT_OF_SCOPE = {
    "zh": "该问题不在已收录法规的调整范围内（医疗人工智能、医疗卫生、数据与器械监管），不作回答、不引用条文；最接近的条文列于下方，仅供参考。",
    "en": "This question is outside what the loaded texts govern (Chinese medical-AI, health, data and device regulation); "
          "no clause is cited. The nearest clauses are listed as possibly related.",
}


@pytest.fixture(scope="module")
def all_answers(answerer, dev_file, own_file):
    qs = load_questions(dev_file) + load_questions(own_file)
    return [(q, answerer.ask(q.q)) for q in qs]


def test_every_quote_is_verbatim_clause_text(all_answers, retriever):
    checked = tags = 0
    for q, res in all_answers:
        shown = {}
        for c in res.citations:
            p = retriever.by_id[c.provision_id]
            assert c.quote == p.text, (q.id, c.provision_id)  # the citation's quote is the clause, verbatim
            assert c.citation == p.citation
            shown[c.provision_id] = p.text + "\n" + (c.text_en or "")
        for quote in QUOTE.findall(res.answer):
            assert any(quote in t for t in shown.values()), (q.id, quote)
            checked += 1
        # every cited clause in the prose is one of the citations shown
        for cit in re.findall(r"〔(《[^〕]+)〕", res.answer):
            assert cit in {c.citation for c in res.citations}, (q.id, cit)
            tags += 1
    assert checked >= 150 and tags >= 150, (checked, tags)


def test_answered_sentences_carry_citations(all_answers):
    quoted = 0
    for q, res in all_answers:
        if res.abstained:
            continue
        for line in res.answer.splitlines():
            if "“" in line:
                assert "《" in line, (q.id, line)
                quoted += 1
    assert quoted >= 150, quoted


def test_out_of_scope_questions_abstain(all_answers):
    oos = [(q, r) for q, r in all_answers if q.abstain]
    assert len(oos) >= 10
    for q, r in oos:
        assert r.abstained, (q.id, r.answer[:100])
        assert r.citations == []
        assert r.possibly_related  # nearest clauses are shown, not cited
        assert r.notes and r.notes[0].startswith("abstained: "), (q.id, r.notes)
        if r.notes[0] == "abstained: out of scope":
            assert r.answer == REFUSAL_OUT_OF_SCOPE["en" if q.lang == "en" else "zh"], (q.id, r.answer)
        else:  # refused because the question turns on an instrument whose text is not loaded: named
            assert r.not_loaded and ("未收录" in r.answer or "not loaded" in r.answer), (q.id, r.answer)


def test_in_scope_questions_are_answered(all_answers):
    ins = [(q, r) for q, r in all_answers if not q.abstain]
    assert len(ins) >= 80
    answered = [q.id for q, r in ins if not r.abstained]
    assert len(answered) >= 0.9 * len(ins), [q.id for q, r in ins if r.abstained]


def test_training_consent_question(answerer):
    res = answerer.ask("医院用患者病历训练诊断模型，需要取得患者的单独同意吗？")
    assert not res.abstained
    assert "pipl/art29" in [c.provision_id for c in res.citations]
    assert "单独同意" in res.answer and "《个人信息保护法》第二十九条" in res.answer


def test_english_answer_shows_official_english(answerer):
    res = answerer.ask("What extra notice is required when processing sensitive personal information?")
    assert not res.abstained
    c = next(c for c in res.citations if c.provision_id.startswith("pipl/art30"))
    assert c.text_en and "sensitive personal information" in c.text_en
    assert "Official English" in res.answer


def test_version_note_for_superseded_instrument(answerer):
    res = answerer.ask("医疗器械注册证有效期是多久？")
    assert any(c.provision_id.startswith("mdsr-2024/") for c in res.citations)
    note = next(n for n in res.notes if "医疗器械监督管理条例" in n)
    assert "2024年版（现行）" in note and "2021年版（已被修订）" in note


def test_not_loaded_instrument_is_named(answerer):
    res = answerer.ask("互联网诊疗中使用人工智能开处方有什么限制？")
    assert any("互联网诊疗" in n and "未收录" in n for n in res.notes)


def test_quoted_items_cite_their_item_pinpoint(all_answers):
    """A sentence quoted from an item （二） cites 第（二）项 (not the whole paragraph), and that exact citation is
    listed with a quote that contains the sentence."""
    checked = 0
    for _, res in all_answers:
        if res.abstained:
            continue
        listed = {c.citation: c.quote + "\n" + (c.text_en or "") for c in res.citations}  # Chinese or official English
        for sent, cit in re.findall(r"“([^”]+)”〔([^〕]+)〕", res.answer):
            assert cit in listed, (res.question, cit)
            assert sent in listed[cit], (res.question, cit, sent)
            if re.match(r"^[（(][一二三四五六七八九十]+[）)]", sent):
                assert cit.endswith("项") or cit.endswith("目"), (res.question, cit, sent)
                checked += 1
    assert checked >= 5, "expected several item quotes across both question sets"
