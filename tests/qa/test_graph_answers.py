"""Answers from the graph: memo structure (结论 first), penalty tiers from PENALIZES, refusals (out of domain,
foreign law, instruments not loaded), vectors read from the store, a re-ingest picked up by a serving process."""
from __future__ import annotations

import re

import numpy as np
import pytest


def test_answer_leads_with_a_conclusion_and_cites_every_line(answerer):
    res = answerer.ask("医院用患者病历训练诊断模型，需要取得患者的单独同意吗？")
    assert not res.abstained
    first = res.answer.splitlines()[0]
    assert first.startswith("结论：需要") and first == "结论：" + res.conclusion
    assert "《个人信息保护法》第二十九条" in first
    shown = {c.citation for c in res.citations}
    for line in res.answer.splitlines():
        if line.startswith("- ") or line.startswith("结论"):
            tags = re.findall(r"〔([^〕]+)〕", line)
            assert tags and all(t in shown for t in tags), line
    # the citations list holds exactly the clauses shown
    assert "《个人信息保护法》第二十九条" in shown and shown == set(re.findall(r"〔([^〕]+)〕", res.answer))


def test_english_conclusion_uses_the_official_english(answerer):
    res = answerer.ask("Does a hospital need separate consent to use patient records to train a diagnostic model?")
    assert not res.abstained
    assert res.answer.startswith("Conclusion: Yes")
    assert "pipl/art29" in [c.provision_id for c in res.citations[:3]]
    # PIPL has an official English text: its clause is quoted in English (verbatim), with the Chinese beside it
    line = next(x for x in res.answer.splitlines() if "〔《个人信息保护法》第二十九条〕" in x and x.startswith("- "))
    assert "Official English" in line and "separate consent" in line
    assert "not in glossary" not in res.answer


def test_penalty_question_states_the_statutory_maximum(answerer):
    res = answerer.ask("违法处理患者个人信息、情节严重的，公司最高会被罚多少钱？")
    assert not res.abstained
    assert "五千万元以下或者上一年度营业额百分之五以下罚款" in res.conclusion
    # the paragraph that sets the tier is cited (第二款 raises 第一款 for 情节严重)
    assert any(c.citation.startswith("《个人信息保护法》第六十六条") for c in res.citations)
    assert "时限：" not in res.answer  # 上一年度营业额 is not a deadline
    assert "罚则：" in res.answer


def test_ai_liability_question_is_answered_from_the_civil_code(answerer):
    """Mentioning AI does not pull the answer to the AI guidelines: liability comes from the tort rules."""
    res = answerer.ask("医疗机构使用AI辅助诊断软件发生误诊，责任由谁承担？")
    assert not res.abstained
    top = [c.doc_id for c in res.citations[:3]]
    assert "civil-code-tort" in top, [c.citation for c in res.citations]
    assert not any(c.doc_id.startswith("nmpa-") for c in res.citations[:3])


@pytest.mark.parametrize("question", [
    "深圳的小规模纳税人增值税税率是多少？",
    "How many days of paternity leave does an employee get in Shanghai?",
    "医院食堂的食品安全检查多久做一次？",
    "What does HIPAA require after a breach of patient records?",
])
def test_out_of_domain_questions_are_refused(answerer, question):
    from tests.qa.test_answers import REFUSAL_OUT_OF_SCOPE

    res = answerer.ask(question)
    assert res.abstained and res.citations == [], (question, res.answer[:100])
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", question) else "en"
    assert res.answer == REFUSAL_OUT_OF_SCOPE[lang] and res.notes[0] == "abstained: out of scope", res.notes
    assert res.not_loaded == [] and res.possibly_related  # nearest clauses listed, not cited


def test_question_naming_an_instrument_not_loaded_is_refused_by_name(answerer):
    res = answerer.ask("按照《互联网诊疗监管细则（试行）》，人工智能能不能代替医师接诊？")
    assert res.abstained and res.citations == []
    assert "internet-diagnosis-supervision-rules" in res.not_loaded
    assert "互联网诊疗监管细则" in res.answer and "未收录" in res.answer


@pytest.mark.parametrize("question,key", [
    ("互联网医院可以给首诊患者在线开处方吗？", "internet-diagnosis-measures"),
    ("AI生成的合成图片必须添加隐式标识吗？", "aigc-labelling-measures"),
])
def test_question_on_the_subject_of_an_instrument_not_loaded_is_refused_by_name(answerer, question, key):
    """The instrument is not named: the question's subject is the instrument's (registry profile), and no loaded
    clause is presented as the answer."""
    res = answerer.ask(question)
    assert res.abstained and res.citations == [], res.answer[:120]
    assert key in res.not_loaded
    assert "未收录" in res.answer


def test_subject_shared_with_a_loaded_text_is_never_a_silent_substitute(answerer):
    """Adverse events are governed by the loaded Regulation and by a registered instrument whose text is not loaded
    (医疗器械不良事件监测和再评价管理办法). Either answer is acceptable, a silent substitute is not: answered, it cites the
    Regulation and says the measures are not loaded; refused, it names the measures and cites nothing."""
    res = answerer.ask("医疗器械注册人发现不良事件后应当怎么做？")
    if res.abstained:
        assert res.not_loaded == ["md-adverse-event-measures"] and not res.citations, res
        assert "《医疗器械不良事件监测和再评价管理办法》" in res.answer
    else:
        assert any(c.doc_id.startswith("mdsr") for c in res.citations), [c.citation for c in res.citations]
        assert any("医疗器械不良事件监测和再评价管理办法" in n for n in res.notes), res.notes


def test_related_provisions_are_cited_below_the_basis(answerer):
    """Clauses within RANK_MARGIN are the basis; those within RELATED_MARGIN follow as possibly relevant, at most
    MAX_CITED in all, each quoted and cited after the basis."""
    from qa.answer import MAX_CITED, RANK_MARGIN, RELATED_MARGIN

    r = answerer.retriever
    hits = r.search("个人信息处理者向境外提供个人信息应当具备什么条件？", k=8)
    top = hits[0].score
    fake = [type(h)(h.unit, top - d, h.signals, h.pinpoint) for h, d in zip(hits, (0, 0.5, 1.5, 2.5, 3.5, 4.0))]
    chosen, related = answerer._choose(fake)
    assert [h.score for h in chosen][0] == top and all(top - h.score <= RANK_MARGIN for h in chosen)
    assert len(chosen) == 2 and len(related) == 2 and all(top - h.score <= RELATED_MARGIN for h in related)
    assert len(chosen) + len(related) <= MAX_CITED
    res = answerer._compose("q", r.analyse("个人信息处理者向境外提供个人信息应当具备什么条件？"), chosen, [], related)
    lines = res.answer.splitlines()
    head = lines.index("其他可能相关的条款：")
    assert lines.index("依据：") < head
    rel = [x for x in lines[head + 1:] if x.startswith("- ")]
    assert len(rel) == 2 and all(re.search(r"〔[^〕]+〕$", x) for x in rel)
    shown = {c.citation for c in res.citations}
    assert all(re.search(r"〔([^〕]+)〕$", x).group(1) in shown for x in rel)


def test_empty_question_is_an_error(answerer):
    with pytest.raises(ValueError, match="empty"):
        answerer.ask("   ")


def test_cli_rejects_a_blank_question(retriever):
    from typer.testing import CliRunner

    from ui.cli import app

    for cmd in ("search", "ask"):
        res = CliRunner().invoke(app, [cmd, "   "])
        assert res.exit_code == 2 and "empty" in res.output, (cmd, res.output)


def test_retrieval_vectors_come_from_the_store(retriever):
    """Ingest embedded every clause QA needs; building the index embeds nothing more."""
    assert retriever.embedded_at_query == 0
    assert len(retriever.zh_units) >= 1000
    assert retriever.E.shape == (len(retriever.zh_units), retriever.embedder.dim)
    assert np.allclose(np.linalg.norm(retriever.E, axis=1), 1.0, atol=1e-3)  # no row left empty
    stored = retriever.provider.embeddings()
    for pid in ("pipl/art29", "mdsr-2024/art20"):
        assert np.allclose(retriever.E[retriever.zh_index[pid]], stored[pid], atol=1e-6), pid


def test_graph_context_is_loaded(retriever):
    g = retriever.graph
    assert g.facts["pipl/art29"].modalities & {"obligation"}
    # PIPL 66 (违反本法规定处理个人信息…) covers the duties no specific penalty names, as a general link
    assert ("pipl/art66", "general", 0.0) in g.penalized_by["pipl/art29"]
    assert ("pipl/art66", "general", 0.0) in g.penalized_by["pipl/art38"]
    assert "敏感个人信息" in g.defines
    assert "pi-handler" in g.actors_with_inherited(["medical-institution"])
    # the same links read from the penalty's side
    assert ("pipl/art29", "general") in g.penalizes["pipl/art66"]
    assert all(any(p == "pipl/art66" for p, _, _ in g.penalized_by[d]) for d, _ in g.penalizes["pipl/art66"])


def test_penalty_candidates_carry_their_sanctioned_duties_features(retriever):
    """A penalty clause is scored through the duties it sanctions: PIPL 66 inherits the first-stage standing of the
    consent duty a consent question matches; a duty with a penalty link is flagged as sanctioned."""
    from qa.rank import FIDX, N_CAND

    qa = retriever.analyse("处理病人的健康信息没有取得单独同意，会被怎么处罚？")
    sig, fused, mask = retriever.first_stage(qa)
    idx, X = retriever.candidate_features(qa, sig, fused, mask)
    row = {retriever.zh_units[i].prov.id: X[j] for j, i in enumerate(idx)}
    assert "pipl/art66" in row and "pipl/art29" in row
    pen = row["pipl/art66"]
    assert pen[FIDX["pen_duty_lrank"]] < np.log2(2 + N_CAND)  # a sanctioned duty is among the candidates
    assert -1.0 < pen[FIDX["pen_duty_dense_gap"]] <= 0.0 and pen[FIDX["pen_duty_cov"]] > 0
    assert pen[FIDX["duty_sanctioned"]] == 0.0
    duty = row["pipl/art29"]
    assert duty[FIDX["duty_sanctioned"]] == 1.0 and duty[FIDX["pen_duty_dense_gap"]] == -1.0


def test_reingest_is_picked_up_by_a_serving_process(scratch_store, tmp_path, monkeypatch):
    """A second process's `yigui ingest` bumps the store's generation; the next answer is built from the new texts."""
    from graph.build import build
    from qa import service

    law = tmp_path / "laws" / "测试条例.md"
    law.parent.mkdir()
    law.write_text("# 测试医疗数据条例\n\n第一条 医疗机构应当每年开展一次数据安全演练。\n", encoding="utf-8")
    build([law.parent], scratch_store, progress=False, embed=True, extract=True)
    monkeypatch.setattr(service, "_retriever", None)
    monkeypatch.setattr(service, "_answerer", None)
    monkeypatch.setattr(service, "GENERATION_CHECK_S", 0.0)
    r1 = service.get_retriever(scratch_store)
    assert len(r1.zh_units) == 1
    law2 = law.parent / "第二条例.md"
    law2.write_text("# 第二测试条例\n\n第一条 受托人应当在三日内删除委托处理的病历。\n", encoding="utf-8")
    build([law.parent], scratch_store, progress=False, embed=True, extract=True)
    r2 = service.get_retriever(scratch_store)
    assert r2 is not r1 and len(r2.zh_units) == 2
    assert service.get_retriever(scratch_store) is r2  # unchanged generation: the same index
