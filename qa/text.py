"""Question analysis: language, Chinese tokens (jieba), glossary translation of English legal terms, the instruments
a question names, version hints (2021年版, 旧版), penalty questions, actors, and whether it is in scope at all."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

log = logging.getLogger(__name__)

_CJK = re.compile(r"[\u4e00-\u9fff]")
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

# function words that carry no legal meaning in questions or clauses
STOP_ZH = set(
    "的 了 和 与 或 及 以及 或者 是 在 对 为 由 把 被 将 从 向 于 其 之 等 等等 中 上 下 后 前 时 有 没有 无 要 需要 应 应当 "
    "可以 能 能否 能不能 是否 吗 呢 吧 啊 什么 哪些 哪 怎么 怎样 如何 多少 几 多久 多长 谁 哪个 这 那 这类 这些 那些 "
    "一个 一些 我 你 他 她 它 我们 他们 自己 个 条 款 项 规定 法律 本法 本条例 本办法 本规定 一 不 也 都 还 就 "
    "所 并 但 而 且 如果 因为 所以 之类 情况 时候 方面 相关 有关 进行 时间 内 之前 之后 以后 以前".split()
)
STOP_EN = set(
    "a an the of to in on for by with and or is are be been being do does did must may can could should shall will "
    "would what which who whom whose when where why how that this these those it its their them they he she his her "
    "i we you our your as at from into than then there any some all each under before after about if not no yes "
    "has have had get gets one two more most such so also only own same other up out over".split()
)

VERSION_OLD = re.compile(r"旧版|原版|修订前|修正前|修改前|老版|上一版|old version|previous version|former version|"
                         r"before (the )?(amendment|revision)", re.I)
YEAR = re.compile(r"((?:19|20)\d{2})\s*(?:年|版|revision|version|edition|text)?", re.I)
PENALTY = re.compile(r"罚|处罚|罚款|法律责任|吊销|没收|追究|后果|penalt|fine[sd]?\b|sanction|liab|punish|consequence",
                     re.I)


@dataclass
class QueryAnalysis:
    text: str
    lang: str
    zh_tokens: list[str]
    en_tokens: list[str] = field(default_factory=list)
    zh_terms: list[str] = field(default_factory=list)  # glossary translations of English terms
    instruments: set[str] = field(default_factory=set)  # instrument ids the question names
    version_hints: set[str] = field(default_factory=set)  # years, or "old"
    asks_penalty: bool = False
    actor_terms: list[str] = field(default_factory=list)
    domain_terms: list[str] = field(default_factory=list)  # in-scope vocabulary found in the question
    lay_terms: list[str] = field(default_factory=list)  # statute words for everyday words in a Chinese question
    legal_terms: list[str] = field(default_factory=list)  # glossary/actor terms (Chinese) the question contains


def detect_lang(text: str) -> str:
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk >= max(2, latin / 4) else "en"


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for term in _domain_zh_terms():
        if len(term) >= 2:
            jieba.add_word(term, freq=2000)
    return jieba


def tokens_zh(text: str) -> list[str]:
    """Search-mode jieba tokens (long words and their parts), stop words and punctuation dropped."""
    jb = _jieba()
    out = []
    for t in jb.lcut_for_search(text):
        t = t.strip().lower()
        if not t or t in STOP_ZH or _PUNCT.match(t):
            continue
        if len(t) == 1 and _CJK.match(t) and t not in "罚药械医":
            continue
        out.append(t)
    return out


def bigrams_zh(text: str) -> list[str]:
    """Overlapping CJK character bigrams (what a CJK full-text analyzer indexes): robust to segmentation."""
    out = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        if len(run) == 1:
            continue
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def tokens_en(text: str) -> list[str]:
    out = []
    for w in re.findall(r"[A-Za-z][A-Za-z\-']+|\d+", text.lower()):
        w = w.strip("'-")
        if w in STOP_EN or len(w) < 2:
            continue
        out.append(_stem(w))
    return out


def _stem(w: str) -> str:
    for suf in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)] + ("y" if suf in ("ies", "ied") else "")
    return w


# ------------------------------------------------------------------------------------------------ vocabularies


def _load(name: str):
    try:
        from corpus import load_yaml

        return load_yaml(name) or {}
    except FileNotFoundError:
        return {}


@lru_cache(maxsize=1)
def glossary_pairs() -> list[tuple[str, str]]:
    """(english variant lower-case, chinese term) pairs, longest English first: glossary, actors, stages."""
    pairs: list[tuple[str, str]] = []
    for t in (_load("glossary.yaml").get("terms") or []):
        zh = t.get("zh")
        if not zh:
            continue
        for en in [t.get("en"), *((t.get("aliases") or {}).get("en") or [])]:
            if en:
                pairs.append((str(en).lower(), zh))
    for a in (_load("actors.yaml").get("actors") or []):
        zh = a.get("zh")
        for en in [a.get("en"), *((a.get("aliases") or {}).get("en") or [])]:
            if en and zh:
                pairs.append((str(en).lower(), zh))
    pairs.extend(EXTRA_EN_ZH)
    pairs.sort(key=lambda p: -len(p[0]))
    return pairs


GENERIC_EN = {"requirements", "requirement"}  # glossary aliases too generic to translate on their own


@lru_cache(maxsize=1)
def glossary_map() -> list[tuple[str, list[str]]]:
    """English variant -> every Chinese term it may stand for (labelling: 标签 and 标识), longest variant first."""
    m: dict[str, list[str]] = {}
    for en, zh in glossary_pairs():
        if en in GENERIC_EN:
            continue
        if zh not in m.setdefault(en, []):
            m[en].append(zh)
    return sorted(m.items(), key=lambda p: -len(p[0]))


# everyday English a lawyer types that the glossary (legal terms) does not list
EXTRA_EN_ZH: list[tuple[str, str]] = [
    ("train", "训练"), ("training", "训练"), ("model", "模型"), ("algorithm", "算法"), ("children", "未成年人"),
    ("child", "未成年人"), ("minor", "未成年人"), ("abroad", "境外"), ("overseas", "境外"), ("outside china", "境外"),
    ("cross-border", "出境"), ("store", "存储"), ("stored", "存储"), ("locally", "境内"), ("inside china", "境内"),
    ("withdraw", "撤回"), ("take back", "撤回"), ("refuse", "拒绝"), ("deceased", "死者"), ("death", "死亡"),
    ("autopsy", "尸检"), ("dispute", "纠纷"), ("recall", "召回"), ("label", "标识"), ("labels", "标签"),
    ("instructions for use", "说明书"), ("instructions", "说明书"), ("adverse event", "不良事件"),
    ("registration certificate", "注册证"), ("renew", "延续注册"), ("valid", "有效期"), ("outsource", "委托生产"),
    ("manufacturing", "生产"), ("clinical trial", "临床试验"), ("approval", "批准"), ("surgery", "手术"),
    ("risk", "风险"), ("explain", "说明"), ("price", "价格"), ("prices", "价格"), ("loyal customers", "消费者"),
    ("face recognition", "人脸识别"), ("facial recognition", "人脸识别"), ("property manage", "物业服务企业"),
    ("genetic", "遗传资源"), ("donor", "提供者"), ("security assessment", "安全评估"), ("export", "出境"),
    ("standard contract", "标准合同"), ("filing", "备案"), ("file", "备案"), ("report", "报告"),
    ("annual", "每年度"), ("large online platform", "大型网络平台"), ("platform", "平台"),
    ("identity", "身份"), ("real identities", "真实身份"), ("verify", "认证"), ("personalised", "个性化"),
    ("personalized", "个性化"), ("recommendation", "推荐"), ("switch off", "关闭"), ("turn off", "关闭"),
    ("images", "图片"), ("videos", "视频"), ("generated", "生成"), ("breach", "泄露"), ("leak", "泄露"),
    ("health information", "健康信息"), ("classification", "分类"), ("risk level", "风险程度"),
    ("follow-up", "复诊"), ("online", "互联网"), ("forge", "伪造"), ("hide", "隐匿"), ("presumed", "推定"),
    ("defective", "缺陷"), ("compensation", "赔偿"), ("injured", "损害"), ("harm", "损害"), ("liable", "责任"),
    ("settle", "解决"), ("hazard", "安全隐患"), ("safety", "安全"), ("hospital", "医疗机构"), ("hospitals", "医疗机构"),
    ("doctor", "医师"), ("doctors", "医务人员"), ("patient", "患者"), ("consent", "同意"),
    ("labelling", "标识"), ("labeling", "标识"), ("false materials", "虚假资料"), ("false information", "虚假"), ("fraudulent", "欺骗手段"), ("falsified", "虚假"),
    ("applying for", "申请"), ("application", "申请"), ("license", "许可"), ("licence", "许可"),
]


@lru_cache(maxsize=1)
def _domain_zh_terms() -> list[str]:
    terms = set()
    for t in (_load("glossary.yaml").get("terms") or []):
        if t.get("zh") and t.get("cat") != "verb":
            terms.add(t["zh"])
            terms.update((t.get("aliases") or {}).get("zh") or [])
    for a in (_load("actors.yaml").get("actors") or []):
        if a.get("zh"):
            terms.add(a["zh"])
            terms.update((a.get("aliases") or {}).get("zh") or [])
    return sorted(t for t in terms if t)


@lru_cache(maxsize=1)
def actor_aliases() -> list[tuple[str, list[str]]]:
    """(surface form in a question, zh names to look for in clauses), longest surface first."""
    out = []
    for a in (_load("actors.yaml").get("actors") or []):
        zh = a.get("zh")
        if not zh:
            continue
        names = [zh, *((a.get("aliases") or {}).get("zh") or [])]
        names = [n for n in names if len(n) >= 3]
        for s in names + [str(e).lower() for e in ((a.get("aliases") or {}).get("en") or []) + [a.get("en") or ""]]:
            if s and len(s) >= 3:
                out.append((s, names or [zh]))
    out.sort(key=lambda p: -len(p[0]))
    return out


@lru_cache(maxsize=1)
def instrument_aliases() -> list[tuple[str, str]]:
    """(alias as written, instrument id): registry short titles and aliases, longest first."""
    out = []
    for key, ins in ((_load("registry.yaml").get("instruments")) or {}).items():
        for s in [ins.get("short_title"), ins.get("title"), ins.get("title_en"), *(ins.get("aliases") or [])]:
            if s and len(str(s)) >= 2:
                out.append((str(s), key))
    out.sort(key=lambda p: -len(p[0]))
    return out


# everyday Chinese a lawyer's client uses -> the statute's words (lexical side only; dense search needs no help)
LAY_ZH: dict[str, str] = {
    "病人": "患者", "病历": "医疗健康 敏感个人信息", "检查结果": "医疗健康 敏感个人信息", "健康状况": "医疗健康",
    "体检": "医疗健康", "基因": "遗传 生物识别", "收回": "撤回", "授权": "同意", "外包": "委托 受托人", "代工": "委托生产",
    "搬到": "转移", "转到": "转移", "海外": "境外", "国外": "境外", "总部": "境外接收方", "传到": "提供 出境",
    "罚多少": "罚款", "罚多少钱": "罚款", "打官司": "诉讼 侵权责任 过错", "去世": "死亡 死者", "家属": "近亲属",
    "孩子": "未成年人 不满十四周岁", "小孩": "未成年人", "医院": "医疗机构", "诊所": "医疗机构", "医生": "医师 医务人员",
    "大夫": "医师", "大模型": "生成式人工智能", "AI": "人工智能", "换脸": "深度合成 人脸", "刷脸": "人脸识别",
    "实名": "真实身份", "老用户": "消费者 交易习惯 差别待遇", "杀熟": "交易价格 差别待遇", "漏洞": "缺陷 漏洞 补救措施",
    "泄露": "泄露 补救措施 告知", "黑客": "网络攻击 安全事件", "买卖": "交易", "卖出去": "已上市 召回",
    "代理": "代理人", "说明书": "说明书", "算法": "算法 自动化决策", "精准推送": "个性化 推送 自动化决策",
    "会诊": "邀请 本单位以外的医务人员", "专家": "医务人员", "多久": "期限 有效期", "几年": "年", "过期": "有效期届满",
    "续": "延续", "到期": "有效期届满 延续", "重大更新": "实质性变化 变更注册", "升级": "变更", "上线": "提供服务",
    "数据中介": "数据交易中介", "中介": "中介服务", "小区": "物业服务区域", "物业": "物业服务企业",
}


def _legal_terms(text: str, extra: list[str]) -> list[str]:
    """Multi-character legal terms of the glossary and actor taxonomy found in the question (longest first, no
    term inside a longer one already found)."""
    found: list[str] = []
    for t in sorted(_domain_zh_terms(), key=len, reverse=True):
        if len(t) >= 3 and t in text and not any(t in f for f in found):
            found.append(t)
    for t in extra:
        if len(t) >= 2 and t not in found:
            found.append(t)
    return found


def expand_lay(text: str) -> list[str]:
    out = []
    for lay, legal in LAY_ZH.items():
        if lay in text:
            out.extend(legal.split())
    return out


# words that mark a question as belonging to YiGui's domain (medical / health / data / AI regulation)
DOMAIN_ZH = ["医", "药", "患者", "病人", "病历", "诊", "健康", "临床", "器械", "个人信息", "数据", "隐私", "算法",
             "人工智能", "AI", "生成式", "深度合成", "模型", "网络", "信息", "遗传", "基因", "伦理", "同意", "出境",
             "平台", "用户", "产品", "缺陷", "召回", "标签", "说明书", "注册证", "注册人", "备案人", "算法备案", "人脸", "刷脸", "尸检", "监护",
             "未成年", "网信", "安全评估", "训练", "标注", "医生", "医院", "手术", "消费者", "科研", "标准合同",
             "境外", "海外", "资料", "员工", "合规", "罚款", "处罚", "监管", "泄露", "漏洞", "授权", "App", "APP", "app"]
DOMAIN_EN = ["medic", "health", "hospital", "patient", "doctor", "physician", "clinic", "drug", "device", "data",
             "personal", "privacy", "consent", "algorithm", "ai", "artificial intelligence", "model", "generative",
             "deep synthesis", "network", "cyber", "information", "genetic", "ethic", "platform", "user", "app",
             "product", "defect", "recall", "label", "registrant", "filer", "filing", "face", "autopsy", "children", "minor",
             "export", "abroad", "cross-border", "training", "surgery", "record", "consumer", "contract", "impact assessment",
             "recommendation", "price", "relatives", "deceased", "security", "diagnos", "treatment"]


def _norm(s: str) -> str:
    return re.sub(r"[\s《》<>\"“”]", "", s).lower()


def analyse(question: str, docs: dict | None = None) -> QueryAnalysis:
    text = question.strip()
    lang = detect_lang(text)
    low = text.lower()
    lay: list[str] = []
    zh_terms: list[str] = []
    if lang == "en":
        rest = " " + re.sub(r"[^a-z0-9\-' ]", " ", low) + " "
        for en, zhs in glossary_map():
            pat = " " + en + " "
            if pat in rest or (len(en) >= 5 and (" " + en) in rest):
                zh_terms.extend(zhs)
                rest = rest.replace(pat, "  ")
        zh_tokens = []
        for t in dict.fromkeys(zh_terms):
            zh_tokens.extend(tokens_zh(t))
        en_tokens = tokens_en(text)
    else:
        zh_tokens = tokens_zh(text)
        lay = expand_lay(text)
        for term in lay:
            zh_tokens.extend(tokens_zh(term))
        en_tokens = []
    # instruments named in the question
    instruments: set[str] = set()
    nq = _norm(text)
    for alias, key in instrument_aliases():
        a = _norm(alias)
        if len(a) >= 3 and a in nq or (len(a) <= 4 and a.isascii() and re.search(rf"\b{re.escape(a)}\b", nq)):
            instruments.add(key)
    # version hints
    hints: set[str] = set()
    if VERSION_OLD.search(text):
        hints.add("old")
    for m in YEAR.finditer(text):
        hints.add(m.group(1))
    # actors
    actor_terms: list[str] = []
    for surface, names in actor_aliases():
        if (surface in text) if _CJK.search(surface) else (f" {surface} " in f" {low} "):
            actor_terms.extend(names)
    domain = [w for w in (DOMAIN_ZH if lang == "zh" else DOMAIN_EN)
              if (w in text if lang == "zh" else re.search(rf"\b{re.escape(w)}", low))]
    return QueryAnalysis(
        text=text, lang=lang, zh_tokens=zh_tokens, en_tokens=en_tokens, zh_terms=list(dict.fromkeys(zh_terms)),
        instruments=instruments, version_hints=hints, asks_penalty=bool(PENALTY.search(text)),
        actor_terms=list(dict.fromkeys(actor_terms)), domain_terms=domain, lay_terms=lay,
        legal_terms=_legal_terms(text if lang == "zh" else "", zh_terms + lay),
    )
