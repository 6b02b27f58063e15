"""Write the review evaluation documents (corpus/eval/review/{train,test}/*.txt and gaps.yaml): DPAs and privacy
notices assembled from sentences this project wrote, each leaving out the elements recorded as its gaps.

TRAIN and TEST use different sentence pools (TEST: other wording, some English, colloquial notices), written before
the review cues were tuned; the cues are never fitted on TEST. Re-run to regenerate (deterministic).
"""
from __future__ import annotations

from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "corpus" / "eval" / "review"

DPA = {
    "train": {
        "head": ["数据处理协议", "委托方（甲方）：某市第一人民医院", "受托方（乙方）：某智能影像科技有限公司",
                 "为明确双方在委托处理个人信息过程中的权利义务，根据《中华人民共和国个人信息保护法》，双方订立本协议。"],
        "purpose": "第一条 委托处理的目的为乙方为甲方提供医学影像辅助诊断模型的部署与运维服务。",
        "period": "第二条 委托处理期限自2025年1月1日起至2026年12月31日止。",
        "method": "第三条 乙方以在甲方院内服务器上运行模型的方式处理个人信息，不得将数据导出院外。",
        "categories": "第四条 委托处理的个人信息种类包括患者姓名、性别、年龄、影像检查号及医学影像。",
        "measures": "第五条 乙方应当采取加密、访问控制和操作日志等安全措施。",
        "rights-duties": "第六条 甲方有权随时检查乙方的处理活动；乙方应当按照甲方的书面指示处理个人信息。",
        "no-excess": "第七条 乙方不得超出本协议约定的目的和方式处理个人信息。",
        "return-delete": "第八条 本协议终止后，乙方应当在十个工作日内删除全部个人信息并出具书面证明。",
        "no-subentrust": "第九条 未经甲方书面同意，乙方不得转委托他人处理个人信息。",
        "assist-secure": "第十条 乙方应当协助甲方响应个人查阅、复制、删除个人信息的请求。",
        "tail": ["第十一条 本协议一式两份，双方各执一份，自双方盖章之日起生效。", "甲方（盖章）： 乙方（盖章）："],
    },
    "test": {
        "head": ["Data Processing Addendum 数据处理补充协议", "Controller 委托方：Sunrise Clinic Group",
                 "Processor 受托方：CloudScribe Ltd.",
                 "This addendum forms part of the Master Services Agreement between the parties."],
        "purpose": "1. Purpose. The Processor shall process personal information solely for the purpose of "
                   "transcribing and summarising clinical consultations for the Controller.",
        "period": "2. Duration. The term of the processing is the term of the Master Services Agreement.",
        "method": "3. Nature and manner. The means of processing are automated speech recognition and human "
                  "quality review on servers located in mainland China.",
        "categories": "4. Data. Categories of personal information: patients' names, audio recordings, "
                      "symptoms and diagnoses.",
        "measures": "5. Security. The Processor implements security measures including encryption at rest and in "
                    "transit and role-based access.",
        "rights-duties": "6. 委托方有权对受托方的处理活动进行审计，受托方应当在三日内答复委托方的询问。",
        "no-excess": "7. The Processor will not use the personal information for any other purpose, including "
                     "training its own models.",
        "return-delete": "8. On termination the Processor shall return or delete all personal information at the "
                         "Controller's choice.",
        "no-subentrust": "9. The Processor shall not engage a sub-processor without the Controller's prior written "
                         "consent.",
        "assist-secure": "10. The Processor shall assist the controller in responding to requests from individuals "
                         "and in handling any security incident.",
        "tail": ["11. This addendum is governed by the laws of the People's Republic of China.",
                 "Signed for and on behalf of the parties."],
    },
}

NOTICE = {
    "train": {
        "head": ["安心问诊App隐私政策", "更新日期：2025年3月1日",
                 "本政策适用于安心问诊App提供的在线健康咨询服务。请您在使用前仔细阅读。"],
        "identity": "一、我们是谁：安心健康科技有限公司，联系方式：电话400-000-0000。",
        "purpose-method": "二、我们收集您的信息用于为您匹配医生、提供在线问诊服务，并通过加密通道传输。",
        "categories": "三、我们收集的个人信息包括您的手机号码、问诊记录、既往病史和上传的检查报告。",
        "retention": "四、您的问诊记录保存期限为自问诊结束之日起三年，期满后删除。",
        "rights": "五、您可以通过“我的-设置-隐私”查阅、复制、更正或删除您的个人信息。",
        "sensitive-necessity": "六、病史等健康信息属于敏感个人信息，处理这些信息是医生作出判断所必需的，其必要性及对您权益的影响如下：若泄露可能造成歧视。",
        "separate-consent": "七、我们将在您首次上传检查报告前，通过弹窗单独征求您的同意，即取得您的单独同意。",
        "export-recipient": "八、为进行远程会诊，您的病例将提供给境外接收方：新加坡某医疗集团，邮箱 partner@example.sg。",
        "export-consent": "九、向境外提供前，我们将就出境事项另行取得您的单独同意。",
        "guardian-consent": "十、如您是不满十四周岁的儿童，须由您的父母或者其他监护人同意后方可使用本服务。",
        "tail": ["十一、本政策如有更新，我们将通过App内通知告知您。"],
    },
    "test": {
        "head": ["Privacy notice — HeartBeat wearable 心率手环隐私说明", "Last updated 1 May 2025",
                 "Thanks for choosing HeartBeat! Here's how we look after your information."],
        "identity": "Who we are: HeartBeat Health (Shenzhen) Co., Ltd. You can contact us at privacy@heartbeat.example.",
        "purpose-method": "What we do with it: we use your heart-rate readings to show trends and send alerts; "
                          "processing is automatic on our cloud.",
        "categories": "What we collect: categories of personal information we process are your account details, "
                      "heart rate, sleep data and location.",
        "retention": "How long we keep it: readings are retained for 24 months, then anonymised.",
        "rights": "Your rights: you can request access, correction or deletion in the app under Me > Privacy, and "
                  "we will reply within 15 days.",
        "sensitive-necessity": "Heart-rate data is sensitive; we only process it because alerts can't work "
                               "without it, and we explain the impact on your rights in our data sheet.",
        "separate-consent": "We ask for your separate consent before switching on health tracking.",
        "export-recipient": "Our analytics team in Singapore receives your data: the overseas recipient is "
                            "HeartBeat Pte. Ltd., dpo@heartbeat.example.",
        "export-consent": "Before any transfer outside China we will obtain your separate consent for sending data abroad.",
        "guardian-consent": "Kids under 14 need a parent's consent — parental consent is collected in setup.",
        "tail": ["We may update this notice; we'll tell you in the app."],
    },
}

DPA_ELEMENTS = ["purpose", "period", "method", "categories", "measures", "rights-duties", "no-excess",
                "return-delete", "no-subentrust", "assist-secure"]
NOTICE_BASE = ["identity", "purpose-method", "categories", "retention", "rights"]
# (name, facts for the profile, elements left out) — each document leaves out one to three elements
PLAN = {
    "train": [
        ("dpa-01", "dpa", {}, ["period", "no-subentrust"]),
        ("dpa-02", "dpa", {}, ["return-delete"]),
        ("dpa-03", "dpa", {}, ["categories", "measures", "assist-secure"]),
        ("dpa-04", "dpa", {}, ["purpose", "no-excess"]),
        ("dpa-05", "dpa", {}, ["method"]),
        ("notice-01", "privacy-notice", {"health": True}, ["retention", "separate-consent"]),
        ("notice-02", "privacy-notice", {"health": True, "export": True}, ["export-consent"]),
        ("notice-03", "privacy-notice", {}, ["rights"]),
        ("notice-04", "privacy-notice", {"minors": True}, ["guardian-consent", "identity"]),
        ("notice-05", "privacy-notice", {"health": True}, ["sensitive-necessity", "categories"]),
    ],
    "test": [
        ("dpa-11", "dpa", {}, ["period"]),
        ("dpa-12", "dpa", {}, ["no-subentrust", "return-delete"]),
        ("dpa-13", "dpa", {}, ["measures", "rights-duties"]),
        ("dpa-14", "dpa", {}, ["categories"]),
        ("dpa-15", "dpa", {}, ["assist-secure", "no-excess", "purpose"]),
        ("notice-11", "privacy-notice", {"health": True}, ["separate-consent"]),
        ("notice-12", "privacy-notice", {"health": True, "export": True}, ["export-recipient", "retention"]),
        ("notice-13", "privacy-notice", {"minors": True}, ["guardian-consent"]),
        ("notice-14", "privacy-notice", {}, ["identity", "rights"]),
        ("notice-15", "privacy-notice", {"health": True}, ["sensitive-necessity", "purpose-method"]),
    ],
}


def _profile(facts: dict) -> dict:
    data = {"personal_information": True, "health": bool(facts.get("health")),
            "minors_under_14": bool(facts.get("minors"))}
    return {"name": "review", "data": data,
            "activities": ["cross-border-transfer"] if facts.get("export") else []}


def main() -> None:
    gaps = {}
    for split, plan in PLAN.items():
        d = OUT / split
        d.mkdir(parents=True, exist_ok=True)
        for name, kind, facts, missing in plan:
            pool = (DPA if kind == "dpa" else NOTICE)[split]
            if kind == "dpa":
                elements = DPA_ELEMENTS
            else:
                elements = NOTICE_BASE + (["sensitive-necessity", "separate-consent"] if facts.get("health") else []) \
                    + (["export-recipient", "export-consent"] if facts.get("export") else []) \
                    + (["guardian-consent"] if facts.get("minors") else [])
            lines = pool["head"] + [pool[e] for e in elements if e not in missing] + pool["tail"]
            (d / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            gaps[f"{split}/{name}.txt"] = {"kind": kind, "profile": _profile(facts), "required": elements,
                                           "missing": missing}
    (OUT / "gaps.yaml").write_text("# written by scripts/make_review_docs.py: the elements each document leaves out\n"
                                   + yaml.safe_dump(gaps, allow_unicode=True, sort_keys=True), encoding="utf-8")


if __name__ == "__main__":
    main()
