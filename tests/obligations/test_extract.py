"""Content tests of the rule extractor on real corpus provisions (and a few written laws for rare shapes)."""
from __future__ import annotations

from tests.obligations.conftest import parse_law


def test_mdsr_art20_yields_five_item_obligations_with_pinpoint_citations(by_provision):
    got = []
    for i in range(1, 6):
        obs = by_provision[f"mdsr-2024/art20/p1/i{i}"]
        assert len(obs) == 1
        got.append(obs[0])
    labels = "一二三四五"
    for n, o in enumerate(got):
        assert o.citation == f"《医疗器械监督管理条例》第二十条第一款第（{labels[n]}）项"
        assert o.id == f"mdsr-2024/art20/p1/i{n + 1}#o1"
        assert o.modality == "obligation"
        assert o.actors == ["md-registrant", "md-filer"]
        assert not o.regulator_duty
    # the lead-in's bearer and modal, then the item in its own words; no made-up English (none is official)
    assert got[0].requirement_zh == "医疗器械注册人、备案人应当：建立与产品相适应的质量管理体系并保持有效运行"
    assert got[0].requirement_en == ""
    assert got[2].action == "开展" and "不良事件" in got[2].object
    assert "post-market" in [s.id for s in got[2].stages]
    # the lead-in announces the items and is not an obligation of its own
    assert "mdsr-2024/art20/p1" not in by_provision


def test_second_paragraph_binds_the_domestic_agent_not_the_registrant_it_mentions(by_provision):
    (o,) = by_provision["mdsr-2024/art20/p2"]
    assert o.actors == ["md-domestic-agent"]
    assert o.action == "协助"


def test_bu_de_is_a_prohibition_of_the_entrusted_party(by_provision):
    (o,) = by_provision["pipl/art21/p3"]
    assert o.modality == "prohibition"
    assert o.actors == ["entrusted-party"]
    assert o.citation == "《个人信息保护法》第二十一条第三款"


def test_you_quan_is_a_right_of_the_individual(by_provision):
    mods = {(o.modality, tuple(o.actors)) for o in by_provision["pipl/art44/p1"]}
    assert ("right", ("individual",)) in mods


def test_regulator_duty_is_flagged_and_kept_apart(by_provision):
    (o,) = by_provision["mdsr-2024/art18/p2"]
    assert o.regulator_duty is True
    assert o.regulators == ["drug-regulator"]
    assert o.actors == []


def test_subject_carried_over_to_the_next_clause(by_provision):
    obs = by_provision["mdsr-2024/art21/p1"]
    assert [o.modality for o in obs] == ["obligation"]  # two clauses, one bearer, one modality: one duty of the 款
    assert all(o.actors == ["md-registrant"] for o in obs)
    assert "变更注册" in obs[0].requirement_zh
    assert obs[0].condition and "实质性变化" in obs[0].condition


def test_condition_of_a_de_clause(by_provision):
    (o,) = [o for o in by_provision["pipl/art39/p1"]]
    assert o.actors == ["pi-handler"]
    assert o.condition == "向中华人民共和国境外提供个人信息的"
    assert "cross-border" in [s.id for s in o.stages]


def test_sanctions_are_not_obligations(by_provision, parsed):
    penalty_articles = [p.id for p in parsed["mdsr-2024"].articles() if p.article in (83, 86, 95)]
    assert penalty_articles
    assert not [pid for pid in by_provision if any(pid.startswith(a + "/") for a in penalty_articles)]


def test_definitions_become_terms_linked_to_actors(result):
    terms = {t.id: t for t in result.terms}
    t = terms["pipl:个人信息处理者"]
    assert t.provision_id == "pipl/art73/p1/i1"
    assert t.actor == "pi-handler"
    assert "自主决定处理目的、处理方式" in t.definition
    assert "pipl:去标识化" in terms and "pipl:匿名化" in terms
    assert terms["genai-measures:生成式人工智能服务提供者"].actor == "genai-provider"


def test_qi_resolves_to_the_previous_subject_and_qiankuan_to_the_named_actor():
    from graph.obligations import extract

    pd = parse_law("# 测试条例\n\n第一条 医疗器械注册人应当建立质量管理体系。其应当每年自查并向药品监督管理部门报告。\n"
                   "发生重大变化的，应当立即报告。\n\n"
                   "第二条 医疗器械经营企业应当建立进货查验记录制度。\n"
                   "前款规定的医疗器械经营企业不得经营未依法注册的医疗器械。\n")
    obs = {o.id: o for o in extract([pd]).obligations}
    a1 = [o for o in obs.values() if o.provision_id.startswith("testlaw/art1")]
    assert len(a1) == 2  # 第一款 (two sentences, one bearer: one duty) and 第二款
    assert all(o.actors == ["md-registrant"] for o in a1)
    assert "其应当每年自查" in a1[0].text
    assert a1[1].condition == "发生重大变化的"
    p2 = [o for o in obs.values() if o.provision_id == "testlaw/art2/p2"]
    assert p2 and p2[0].modality == "prohibition" and p2[0].actors == ["md-distributor"]


def test_coordinated_subjects_bind_each_actor():
    from graph.obligations import extract

    pd = parse_law("# 测试条例\n\n第一条 医疗器械经营企业、使用单位发现其经营、使用的医疗器械存在缺陷的，应当立即暂停销售或者使用。\n")
    (o,) = extract([pd]).obligations
    assert o.actors == ["md-distributor", "md-user-institution"]
    assert o.modality == "obligation"


def test_requirement_en_is_never_a_placeholder(by_provision):
    (o,) = by_provision["mdsr-2024/art20/p1/i5"]
    assert o.requirement_en == "" and "国务院药品监督管理部门规定的其他义务" in o.requirement_zh


def test_extraction_is_deterministic(parsed, result):
    from graph.obligations import extract

    again = extract([parsed["pipl"]])
    first = [o for o in result.obligations if o.doc_id == "pipl"]
    assert [o.model_dump() for o in again.obligations] == [o.model_dump() for o in first]


def test_document_abbreviations_and_defined_terms_name_actors():
    from graph.obligations import extract

    pd = parse_law("# 测试条例\n\n第一条 接受委托的医疗器械生产企业（以下称承制方）应当建立质量管理体系。\n\n"
                   "第二条 承制方不得将受托生产的医疗器械再次委托生产。\n\n"
                   "第三条 本条例所称研发方，是指人工智能医疗器械软件开发者。\n\n"
                   "第四条 研发方应当记录训练数据来源。\n")
    res = extract([pd])
    obs = {o.provision_id: o for o in res.obligations}
    assert obs["testlaw/art2/p1"].actors == ["md-manufacturer"] and obs["testlaw/art2/p1"].modality == "prohibition"
    terms = {t.term: t for t in res.terms}
    assert terms["研发方"].definition.startswith("人工智能医疗器械软件开发者")
    assert obs["testlaw/art4/p1"].actors == ["ai-md-developer"]


def test_optional_dense_stage_similarity_ranks_the_matching_description_first():
    from graph.obligations.nlp import rules
    from graph.obligations.stages import StageScorer

    scorer = StageScorer(dict(rules()["stages"], dense=True))
    sims = scorer.dense_scores("个人信息处理者向境外提供个人信息前，应当通过数据出境安全评估或者订立标准合同。")
    assert set(sims) == set(scorer.stages.ids()) and all(0.0 <= v <= 1.0 for v in sims.values())
    assert max(sims, key=sims.get) == "cross-border"
