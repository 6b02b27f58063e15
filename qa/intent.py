"""What a legal question asks for: must I / may I / is it prohibited / penalty / definition / deadline / procedure /
liability / who regulates / which version. Cues are the question forms of Chinese and English legal questions (the
interrogative and modal patterns), not words of any clause, so they do not depend on the corpus or an eval set.
"""
from __future__ import annotations

import re

INTENTS = ("must", "may", "prohibited", "penalty", "definition", "deadline", "procedure", "liability", "regulator",
           "version")

_ZH = {
    "penalty": r"罚|处罚|法律责任|吊销|没收|追究|后果|制裁|责令停|处分",
    "liability": r"谁(来)?(负责|赔|承担)|责任(由谁|归谁|怎么分|如何划分)|赔偿|担责|侵权|过错|免责|连带|追偿|索赔",
    "definition": r"是指|什么是|算不算|属不属于|属于(什么|哪一?类|哪种)|(是|算)(不是)?.{0,6}吗|定义|含义|范围包括|包括哪些",
    "deadline": r"多久|多长时间|几天|多少天|几个?月|几年|多少年|期限|时限|有效期|之前|以内|日内|何时|什么时候|时间要求",
    "must": r"需要|必须|要不要|需不需要|是否(需要|应当|要)|应当|得先|要先|义务|要求|要做|怎么做|做什么|哪些(义务|要求|措施)",
    "may": r"可以|能不能|能否|可不可以|允许|是否可以|有权|行不行|能.{0,8}吗",
    "prohibited": r"禁止|不得|不能|不准|违法吗|合法吗|是否违法|是否合法|行吗",
    "procedure": r"程序|流程|怎么(申请|办|报|办理)|如何(申请|办理|报送|备案|注册)|步骤|手续|材料|提交|申报|备案|注册",
    "regulator": r"哪个部门|谁(来)?(监管|管|审批|负责审查)|主管部门|监管部门|向谁|向哪",
    "version": r"修订|修正|修改前|旧版|新版|哪一版|现行|生效|施行|变化|区别",
}
_EN = {
    "penalty": r"\b(penalt\w*|fines?d?|sanction\w*|punish\w*|revok\w*|consequence\w*|how much .{0,30}(pay|fine))\b",
    "liability": r"\b(liab\w*|who pays|compensat\w*|damages|at fault|responsible for (the )?(harm|injury|damage|error))\b",
    "definition": r"\b(what (is|are|counts as|qualifies as)|count as|counts as|qualif(y|ies) as|defin\w*|considered|meaning of|"
                  r"is (a|an) .{0,40}\?)",
    "deadline": r"\b(how (long|soon|quickly|many days|many months|many years)|deadline|within|time limit|valid for|"
                r"expire\w*|when must|by when)\b",
    "must": r"\b(must|need to|needs to|required?|requirements?|obligations?|have to|has to|should|do we need|"
            r"what do .{0,20} (do|need))\b",
    "may": r"\b(may|can|allowed|permitted|entitled|is it ok|is it lawful|right to)\b",
    "prohibited": r"\b(prohibit\w*|forbid\w*|banned?|not allowed|illegal|unlawful|lawful)\b",
    "procedure": r"\b(procedure|process|steps?|how (do|does|to) .{0,20}(apply|file|register|report|submit)|apply|"
                 r"application|submit\w*|register\w*|filing)\b",
    "regulator": r"\b(which (authority|regulator|agency|department)|who (regulates|supervises|approves)|regulator|"
                 r"authorit(y|ies)|to whom)\b",
    "version": r"\b(amend\w*|revis\w*|old version|previous version|new version|in force|effective)\b",
}
_RX = {lang: {k: re.compile(v, re.I) for k, v in d.items()} for lang, d in (("zh", _ZH), ("en", _EN))}

YES_NO_ZH = re.compile(r"吗[？?]?$|是否|要不要|需不需要|能不能|可不可以|能否|行不行|算不算|属不属于|有没有")
YES_NO_EN = re.compile(r"^\s*(do|does|did|is|are|can|could|may|must|should|will|would|has|have|need)\b", re.I)


# the question asks what happens to the people in charge rather than the entity (the sanction clauses' own words for
# them: 法定代表人、主要负责人、直接负责的主管人员和其他直接责任人员; and the first person: 我个人)
PERSONAL_ZH = re.compile(r"法定代表人|主要负责人|负责人(个人|本人)?会|主管人员|责任人员|我个人|我本人|个人(会|要|需|承担)|本人会")
PERSONAL_EN = re.compile(r"\b(personally|individually|me personally|legal representative|(the )?(directors?|executives?|"
                         r"managers?|officers?) (face|be|get|personally)|people (in charge|responsible))\b", re.I)


def asks_personal(text: str, lang: str) -> bool:
    return bool((PERSONAL_ZH if lang == "zh" else PERSONAL_EN).search(text))


def intents(text: str, lang: str) -> list[str]:
    """Every intent whose cue the question carries, in INTENTS order."""
    rx = _RX["zh" if lang == "zh" else "en"]
    found = [k for k in INTENTS if rx[k].search(text)]
    return found


def is_yes_no(text: str, lang: str) -> bool:
    return bool((YES_NO_ZH if lang == "zh" else YES_NO_EN).search(text.strip()))


def primary(found: list[str]) -> str:
    """The intent an answer's conclusion states first: penalty and liability outrank the modal ones (a question
    "what is the fine for not doing X" is about the fine), definition outranks must/may."""
    for k in ("penalty", "liability", "definition", "deadline", "regulator", "prohibited", "must", "may",
              "procedure", "version"):
        if k in found:
            return k
    return "general"
