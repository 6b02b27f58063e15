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
    assert "RMB 50,000,000" in summary_en(p)


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
