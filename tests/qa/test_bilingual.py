"""Dictionary translation of English everyday words (qa.bilingual): corpus-filtered senses, cache, retrieval use."""
from __future__ import annotations

import json

import pytest

from qa import bilingual
from qa.bilingual import EnglishDictionary, build_inverse
from qa.text import STOP_EN

VOCAB = {"样本", "一次性", "肖像", "礼品", "法院", "道歉", "过期", "唾液"}


@pytest.fixture(scope="module")
def small():
    return EnglishDictionary(VOCAB, {z: 1.0 for z in VOCAB}, cache=None)


def test_everyday_words_get_the_corpus_word(small):
    got = small.translate("Can a clinic reuse single-use needles or send saliva samples abroad?", STOP_EN)
    assert {"一次性", "唾液", "样本"} <= set(got)


def test_senses_the_corpus_never_uses_are_dropped(small):
    # CC-CEDICT also gives 天才 (gift = talent) and 球场 (court = sports court): not corpus words, never offered
    assert small.translate("a gift", STOP_EN) == ["礼品"]
    assert small.translate("the court", STOP_EN) == ["法院"]
    assert small.translate("the and of", STOP_EN) == []


def test_inflections_meet_the_dictionary_form(small):
    assert small.translate("products that expired", STOP_EN) == ["过期"]
    assert small.translate("apologies", STOP_EN) == ["道歉"]


def test_inverse_keeps_only_vocabulary_words():
    inv = build_inverse({"法院"})
    assert inv and all(z == "法院" for v in inv.values() for _, z in v)
    assert "court" in inv


def test_cache_is_reused_and_a_damaged_one_rebuilt(tmp_path, monkeypatch):
    EnglishDictionary(VOCAB, {}, cache=tmp_path)
    (f,) = tmp_path.glob("cedict-en-zh-*.json")
    assert "唾液" in f.read_text("utf-8")
    calls = []
    real = bilingual.build_inverse
    monkeypatch.setattr(bilingual, "build_inverse", lambda v: calls.append(1) or real(v))
    assert EnglishDictionary(VOCAB, {}, cache=tmp_path).translate("saliva", STOP_EN) == ["唾液"]
    assert calls == []  # read from the cache
    f.write_text("{not json", "utf-8")
    assert EnglishDictionary(VOCAB, {}, cache=tmp_path).translate("saliva", STOP_EN) == ["唾液"]
    assert calls == [1]
    assert json.loads(f.read_text("utf-8"))  # rewritten whole


def test_english_question_in_everyday_words_reaches_the_clause(retriever):
    qa = retriever.analyse("Can a hospital reuse single-use syringes on another patient?")
    assert "一次性" in qa.dict_terms and "一次性" in qa.zh_tokens
    hits = retriever.search("Can a hospital reuse single-use syringes on another patient?", k=5, qa=qa)
    assert any("一次性" in h.unit.prov.text for h in hits), [h.unit.prov.id for h in hits]


def test_chinese_questions_are_not_dictionary_translated(retriever):
    assert retriever.analyse("医院可以重复使用一次性注射器吗？").dict_terms == []


def test_glossary_terms_match_whole_words_or_inflections_not_prefixes():
    from qa.text import analyse

    qa = analyse("What duties does a contractor processing personal data on a company's behalf have?")
    assert "个人信息" in qa.zh_terms and "处理" in qa.zh_terms  # "processing" is an inflection of "process"
    assert "合同" not in qa.zh_terms  # "contract" is a prefix of "contractor", not the word
    assert "具备" not in qa.zh_terms  # a mined pair keyed on the function word "have"
    assert "personal" not in qa.en_rest and "contractor" in qa.en_rest
    assert "医疗机构" in analyse("Must hospitals keep records?").zh_terms


def test_words_the_glossary_translated_are_not_looked_up_again(retriever):
    qa = retriever.analyse("What duties does a contractor processing personal data on a company's behalf have?")
    assert "个人信息" in qa.zh_terms
    assert not {"人格", "人身", "材料"} & set(qa.dict_terms), qa.dict_terms  # "personal" + "data" one by one


def test_english_questions_get_a_translated_dense_view(retriever):
    en = retriever.analyse("Can a hospital reuse single-use syringes on another patient?")
    sig = retriever._signals(en, retriever._qvec(en))
    assert sig["dense_tr"] is not None and sig["dense_tr"].shape == sig["dense"].shape
    assert not (sig["dense_tr"] == sig["dense"]).all()
    zh = retriever.analyse("医院可以重复使用一次性注射器吗？")
    assert retriever._signals(zh, retriever._qvec(zh))["dense_tr"] is None
