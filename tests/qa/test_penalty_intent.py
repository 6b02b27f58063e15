"""Penalty tiers parsed from sanction clauses, and question intents: pure functions, no store needed."""
from __future__ import annotations

import pytest

from qa.intent import intents, is_yes_no, primary
from qa.penalty import parse, summary_en, summary_zh, to_number

PIPL_66 = ("违反本法规定处理个人信息，或者处理个人信息未履行本法规定的个人信息保护义务的，由履行个人信息保护职责的部门责令改正，"
           "给予警告，没收违法所得，对违法处理个人信息的应用程序，责令暂停或者终止提供服务；拒不改正的，并处一百万元以下罚款；"
           "对直接负责的主管人员和其他直接责任人员处一万元以上十万元以下罚款。\n"
           "有前款规定的违法行为，情节严重的，由省级以上履行个人信息保护职责的部门责令改正，没收违法所得，并处五千万元以下或者"
           "上一年度营业额百分之五以下罚款，并可以责令暂停相关业务或者停业整顿、通报有关主管部门吊销相关业务许可或者吊销营业执照；"
           "对直接负责的主管人员和其他直接责任人员处十万元以上一百万元以下罚款，并可以决定禁止其在一定期限内担任相关企业的董事、"
           "监事、高级管理人员和个人信息保护负责人。")
MULTIPLE = ("有下列情形之一的，由负责药品监督管理的部门没收违法所得；违法生产经营的医疗器械货值金额不足1万元的，并处5万元以上15万元以下"
            "罚款；货值金额1万元以上的，并处货值金额15倍以上30倍以下罚款；情节严重的，责令停产停业。")


def test_pipl_66_tiers():
    p = parse(PIPL_66)
    assert p.entity_max.max_value == 5e7 and p.entity_max.text == "五千万元以下或者上一年度营业额百分之五以下罚款"
    assert p.entity_max.condition == "情节严重的"
    assert p.personal_max.max_value == 1e6
    kinds = {k for k, _ in p.other}
    assert {"warning", "confiscation", "suspension", "revocation", "ban"} <= kinds
    zh = summary_zh(p)
    assert zh.startswith("最高可处五千万元以下或者上一年度营业额百分之五以下罚款（情节严重的）")
    assert "一百万元以下罚款（拒不改正的）" in zh and "对直接责任人员最高十万元以上一百万元以下罚款" in zh
    en = summary_en(p)
    assert en.startswith("a fine of up to RMB 50,000,000 or a share of the previous year's turnover")
    # the lower tier is stated with its own trigger, as in the Chinese summary, not dropped behind the maximum
    assert "up to RMB 1,000,000 (一百万元以下罚款), where 拒不改正的" in en


def test_multiples_of_goods_value_and_their_triggers():
    p = parse(MULTIPLE)
    (m,) = p.entity_multiples
    assert m.max_value == 30 and m.text == "货值金额15倍以上30倍以下罚款" and "1万元以上" in m.condition
    assert p.entity_max.max_value == 150000


@pytest.mark.parametrize("text,value", [("五千万元", 5e7), ("100万元", 1e6), ("十万元", 1e5), ("3万元", 3e4),
                                        ("一千元", 1e3)])
def test_amounts(text, value):
    assert to_number(text) == value


def test_no_fine_no_tiers():
    p = parse("医疗机构应当建立健全内部质量管理和控制制度。")
    assert not p.tiers and not p.other and not p and p.entity_max is None and p.personal_max is None
    # the same duty with a sanction attached does parse: the empty result above is the clause's, not the parser's
    (t,) = parse("医疗机构未建立内部质量管理和控制制度的，处一万元以上十万元以下罚款。").tiers
    assert t.max_value == 1e5 and t.text == "一万元以上十万元以下罚款"


@pytest.mark.parametrize("q,lang,want,yes_no", [
    ("医院用患者病历训练诊断模型，需要取得患者的单独同意吗？", "zh", "must", True),
    ("违法处理个人信息最高罚多少？", "zh", "penalty", False),
    ("医疗机构使用AI辅助诊断软件发生误诊，责任由谁承担？", "zh", "liability", False),
    ("什么是敏感个人信息？", "zh", "definition", False),
    ("数据泄露后多少天内要报告？", "zh", "deadline", False),
    ("What is the maximum fine for unlawful processing of personal information?", "en", "penalty", False),
    ("Can we send patient data to an overseas vendor?", "en", "may", True),
    ("Who is liable if the AI misdiagnoses a patient?", "en", "liability", False),
    ("Which authority approves a Class III device?", "en", "regulator", False),
])
def test_intents(q, lang, want, yes_no):
    assert primary(intents(q, lang)) == want
    assert is_yes_no(q, lang) is yes_no


def test_share_of_an_amount_and_equal_value():
    """百分之/千分之 of an amount and 等值 are fines too (产品质量法第五十三、五十四条; 基本医疗卫生与健康促进法第一百零三条 style)."""
    p = parse("情节严重的，责令停止生产、销售，并处违法生产、销售产品货值金额百分之三十以下的罚款；有违法所得的，并处没收违法所得。")
    (t,) = p.tiers
    assert t.kind == "share" and t.max_value == 30 and t.text.endswith("货值金额百分之三十以下的罚款")
    assert "百分之三十" in summary_zh(p) and "30%" in summary_en(p)
    p = parse("中标的，中标无效，处中标项目金额千分之五以上千分之十以下的罚款，没收违法所得。")
    (t,) = p.tiers
    assert t.max_value == 1.0 and summary_zh(p).startswith("最高可处中标项目金额千分之五以上千分之十以下的罚款")
    (t,) = parse("并处违法生产、销售产品货值金额等值以下的罚款").tiers
    assert t.kind == "multiple" and t.max_value == 1.0
    # a turnover share stays one tier of the fixed amount, not a second "share" tier
    assert [x.kind for x in parse("并处五千万元以下或者上一年度营业额百分之五以下罚款").tiers] == ["fixed", "turnover"]


def test_share_lower_bounds_and_the_peoples_income_multiples():
    """A multiple whose lower bound is a share (百分之五十以上三倍以下, 30%以上3倍以下) is a multiple tier; the people in
    charge fined on their income from the entity (所获收入…) are shown beside the entity's fine; a trigger is never the
    fine itself (产品质量法第五十条, 医疗器械监督管理条例第八十一条 style)."""
    p = parse("在产品中掺杂、掺假，以假充真，以次充好的，责令停止生产、销售，没收违法生产、销售的产品，"
              "并处违法生产、销售产品货值金额百分之五十以上三倍以下的罚款；有违法所得的，并处没收违法所得。")
    (t,) = p.tiers
    assert t.kind == "multiple" and t.max_value == 3 and t.text == "货值金额百分之五十以上三倍以下的罚款"
    assert t.condition == ""  # not "并处违法生产、销售产品货值金额百分之五十以上三倍以下的"
    assert summary_zh(p).startswith("最高可处货值金额百分之五十以上三倍以下的罚款")
    p = parse("情节严重的，责令停产停业，对违法单位的法定代表人、主要负责人、直接负责的主管人员和其他责任人员，"
              "没收违法行为发生期间自本单位所获收入，并处所获收入30%以上3倍以下罚款，10年内禁止其从事医疗器械生产经营活动。")
    (m,) = p.personal_multiples
    assert m.max_value == 3 and m.text == "所获收入30%以上3倍以下罚款" and not p.entity_multiples
    assert "对责任人员并处所获收入30%以上3倍以下罚款" in summary_zh(p)
    assert "up to 3 times the amount (所获收入30%以上3倍以下罚款)" in summary_en(p)
    (s,) = parse("对法定代表人、主要负责人、直接负责的主管人员和其他责任人员处对单位罚款数额百分之五以上百分之十以下的罚款；").tiers
    assert s.target == "personal" and s.kind == "share" and s.text == "对单位罚款数额百分之五以上百分之十以下的罚款"


def test_the_peoples_sanctions_lead_when_the_question_asks_about_them():
    from qa.intent import asks_personal

    assert asks_personal("作为法定代表人，我个人会被怎么处罚？", "zh")
    assert asks_personal("What can happen to the managers personally?", "en")
    assert not asks_personal("医院会被怎么处罚？", "zh") and not asks_personal("What fine does the hospital face?", "en")
    p = parse(PIPL_66)
    zh = summary_zh(p, personal_first=True)
    assert zh.startswith("对直接责任人员最高十万元以上一百万元以下罚款；对单位最高可处五千万元以下")
    assert summary_en(p, personal_first=True).startswith("up to RMB 1,000,000 for the people directly responsible")
    assert summary_zh(p).startswith("最高可处五千万元以下")  # the entity leads otherwise


def test_a_trigger_comes_before_its_tier_and_later_paragraphs_escalate():
    """违法所得不足一万元的，按一万元计算 follows the fine and is no trigger of it; 拒不改正或者导致…后果的 is; a paragraph
    opening 有前两款行为 escalates both paragraphs before it (网络安全法第六十一条 style), 有前款 only the one before."""
    from types import SimpleNamespace as P

    from qa.penalty import escalations

    (t,) = parse("没收违法所得和药品、医疗器械，并处违法所得五倍以上二十倍以下的罚款，违法所得不足一万元的，按一万元计算。").tiers
    assert t.condition == "" and t.max_value == 20
    lo, hi, _ = parse("可以处一万元以上五万元以下罚款；拒不改正或者导致危害网络安全等后果的，处五万元以上五十万元以下罚款，"
                      "对直接负责的主管人员和其他直接责任人员处一万元以上十万元以下罚款。").tiers
    assert lo.condition == "" and hi.condition == "拒不改正或者导致危害网络安全等后果的" and hi.max_value == 5e5
    ps = [P(text="网络运营者不履行…的，…罚款。"), P(text="关键信息基础设施的运营者不履行…的，…罚款。"),
          P(text="有前两款行为，造成大量数据泄露…后果的，由有关主管部门处五十万元以上二百万元以下罚款。"),
          P(text="有前款规定的违法行为，情节严重的，处一百万元以下罚款。")]
    assert escalations(ps, 0) == [ps[2]] and escalations(ps, 1) == [ps[2]]
    assert escalations(ps, 2) == [ps[3]] and escalations(ps, 3) == []
    (esc,) = parse(ps[2].text).tiers
    assert esc.condition == "有前两款行为，造成大量数据泄露…后果的".split("，", 1)[1]


@pytest.mark.parametrize("q,foreign", [
    ("What does HIPAA require after a breach of patient records?", True),
    ("欧盟MDR下独立软件按照第11条规则一般被划为哪一类？", True),
    ("日本个人信息保护法对“需要特别注意的个人信息”的取得有什么同意要求？", True),
    ("What does the FDA's clinical decision support guidance say about software that is not a device?", True),
    # a foreign country named as a place is a question of the PRC export rules, not of foreign law
    ("美国合作方的律所要我们把临床研究数据直接发给美国法院，可以吗？", False),
    ("新加坡总部要把中国用户的体检报告调回去分析，要怎么拿同意？", False),
    ("Will we have to repeat overlapping work for the important-data risk assessment?", False),  # "appi"
    ("我们这款AI软件没有FDA的上市批准，进口到中国申请注册时要交什么证明？", False),
])
def test_foreign_law_is_a_foreign_jurisdictions_law_not_a_foreign_place(q, foreign):
    from types import SimpleNamespace

    from qa.scope import foreign_law

    assert foreign_law(SimpleNamespace(text=q, instruments=set())) is foreign


def test_conduct_text_keeps_what_is_sanctioned_not_the_sanction():
    from qa.retrieve import conduct_text

    t = ("有下列情形之一的，由县级以上人民政府卫生健康主管部门责令改正，没收违法所得，并处违法所得二倍以上五倍以下的罚款："
         "（一）未经批准擅自开展临床试验的；（二）伪造、出具虚假医学证明文件的。")
    c = conduct_text(t)
    assert "擅自开展临床试验" in c and "虚假医学证明文件" in c
    assert "罚款" not in c and "卫生健康主管部门" not in c and "没收" not in c
    assert conduct_text(PIPL_66).startswith("违反本法规定处理个人信息")
    assert "五千万元" not in conduct_text(PIPL_66)


def test_english_summary_keeps_the_ordinary_tier_after_the_aggravated_one():
    p = parse("由有关主管部门责令改正，给予警告，可以并处一万元以上五万元以下罚款；拒不改正或者情节严重的，处五万元以上五十万元以下罚款。")
    en = summary_en(p)
    assert en.startswith("a fine of up to RMB 500,000 (五万元以上五十万元以下罚款), where 拒不改正或者情节严重的")
    assert "otherwise up to RMB 50,000 (一万元以上五万元以下罚款)" in en
