"""The extractor's spaCy pipeline: one component per sentence-level job, each configured from rules.yaml, and what
each leaves on a sentence Doc (the assembler reads only that)."""
from __future__ import annotations


def test_the_pipeline_lists_one_component_per_job():
    from graph.obligations.nlp import build_nlp

    assert build_nlp().pipe_names == ["entity_ruler", "yigui_doc_aliases", "yigui_modality", "yigui_stage_cues",
                                      "yigui_clauses", "yigui_subject", "yigui_conditions", "yigui_action"]


def test_rules_reach_the_components_unchanged_through_the_spacy_config():
    from graph.obligations.nlp import build_nlp, rules

    nlp, r = build_nlp(), rules()
    clauses, subject = nlp.get_pipe("yigui_clauses"), nlp.get_pipe("yigui_subject")
    assert [x.pattern for x in clauses.is_condition.res] == r["conditions"]
    assert [x.pattern for x in nlp.get_pipe("yigui_conditions").is_condition.res] == r["conditions"]
    assert clauses.weak == set(r["modality"]["weak"]) and clauses.exception_endings == tuple(r["exception_endings"])
    assert [(x.pattern, ids) for x, ids in subject.activity] == [tuple(a) for a in r["activity_actor"]]
    assert subject.impersonal == r["impersonal"] and subject.conj == set(r["conjunctions"])


def test_a_sentence_doc_carries_its_clauses_subjects_conditions_and_actions():
    from graph.obligations.nlp import build_nlp

    nlp = build_nlp()
    (cl,) = nlp("发生重大变化的，医疗器械注册人应当向原注册部门申请变更注册。")._.clauses
    assert cl.cue.label_ == "obligation" and cl.subject[:3] == (["md-registrant"], [], "医疗器械注册人")
    assert cl.condition == "发生重大变化的" and (cl.action, cl.object) == ("申请", "变更注册")
    first, second = nlp("其应当建立质量管理体系，不得生产不符合强制性标准的产品。")._.clauses
    assert first.subject is None and second.cue.label_ == "prohibition"  # 其: resolved later, by the assembler
    doc = nlp("封存的现场实物由医疗机构保管。")
    assert not doc._.clauses and doc._.allocation == (["medical-institution"], [], "医疗机构")


def test_a_documents_own_names_are_passed_per_call():
    from graph.obligations.nlp import build_nlp

    nlp = build_nlp()
    text = "甲方应当建立健全投诉举报机制。"
    assert not nlp(text).ents and nlp(text)._.clauses[0].subject is None
    doc = next(nlp.pipe([text], component_cfg={"yigui_doc_aliases": {"aliases": {"甲方": ("ACTOR", "genai-provider")}}}))
    assert doc._.clauses[0].subject[:3] == (["genai-provider"], [], "甲方")
