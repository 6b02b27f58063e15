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
_MONTHS = "january february march april may june july august september october november december".split()
_MON = "|".join(_MONTHS)
# a date the question names (facts on a day, "as of" a day): the version in force then answers it. A bare year is a
# version hint (YEAR), not a date, except after 截至/as of.
DATE_IN_Q = [
    (re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"), lambda m: (m[1], m[2], m[3])),
    (re.compile(r"\b((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})\b"), lambda m: (m[1], m[2], m[3])),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MON})\s*,?\s+((?:19|20)\d{{2}})\b", re.I),
     lambda m: (m[3], str(_MONTHS.index(m[2].lower()) + 1), m[1])),
    (re.compile(rf"\b({_MON})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+((?:19|20)\d{{2}})\b", re.I),
     lambda m: (m[3], str(_MONTHS.index(m[1].lower()) + 1), m[2])),
    (re.compile(r"(?:截至|截止到?)\s*((?:19|20)\d{2})\s*年(?:\s*(\d{1,2})\s*月)?"), lambda m: (m[1], m[2], None)),
    (re.compile(rf"\bas of\s+(?:({_MON})\s+)?((?:19|20)\d{{2}})\b", re.I),
     lambda m: (m[2], str(_MONTHS.index(m[1].lower()) + 1) if m[1] else None, None)),
]


def date_in_question(text: str) -> str | None:
    """The first date the question names, as ISO (a month or a year alone: its last day); None when it names none."""
    from ingest.versions import parse_day

    for rx, parts in DATE_IN_Q:
        m = rx.search(text)
        if m:
            y, mo, d = parts(m)
            try:
                return parse_day("-".join(x for x in (y, mo and mo.zfill(2), d and d.zfill(2)) if x))
            except ValueError:
                continue
    return None


PENALTY = re.compile(r"罚|处罚|罚款|法律责任|吊销|没收|追究|后果|penalt|fine[sd]?\b|sanction|liab|punish|consequence",
                     re.I)


@dataclass
class QueryAnalysis:
    text: str
    lang: str
    zh_tokens: list[str]
    en_tokens: list[str] = field(default_factory=list)
    zh_terms: list[str] = field(default_factory=list)  # glossary translations of English terms
    dict_terms: list[str] = field(default_factory=list)  # dictionary translations of English everyday words (Retriever)
    en_rest: str = ""  # an English question's words the glossary did not translate (the dictionary's input)
    instruments: set[str] = field(default_factory=set)  # instrument ids the question names
    version_hints: set[str] = field(default_factory=set)  # years, or "old"
    asks_penalty: bool = False
    actor_terms: list[str] = field(default_factory=list)
    domain_terms: list[str] = field(default_factory=list)  # in-scope vocabulary found in the question
    lay_terms: list[str] = field(default_factory=list)  # statute words for everyday words in a Chinese question
    legal_terms: list[str] = field(default_factory=list)  # glossary/actor terms (Chinese) the question contains
    # the legal query (question analysis into intent, actors, concepts)
    intents: list[str] = field(default_factory=list)  # qa.intent.INTENTS the question carries
    intent: str = "general"  # the one the conclusion states first
    yes_no: bool = False
    actor_ids: list[str] = field(default_factory=list)  # actor taxonomy ids named (lay words mapped)
    concepts: list[str] = field(default_factory=list)  # defined terms of the corpus the question uses (set by Retriever)
    core_tokens: list[str] = field(default_factory=list)  # zh_tokens without words that describe the whole domain
    core_text: str = ""  # the question without those words (for a second dense query)
    mentions_ai: bool = False
    as_of: str | None = None  # ISO date the answer speaks as of (request's --as-of, else a date the question names)


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


def _actors() -> list[dict]:
    """The actor entries of corpus/actors.yaml, through the one taxonomy index (corpus.taxonomy)."""
    from corpus import taxonomy

    return list(taxonomy.actors().entries.values())


def _terms() -> list[dict]:
    """The glossary's terms (corpus/glossary.yaml), through corpus.taxonomy; a missing file raises."""
    from corpus import taxonomy

    return taxonomy.glossary().terms


def _load(name: str):
    """One of the project's YAML files (corpus/*.yaml); a missing one is a broken install, not an empty vocabulary."""
    from corpus import load_yaml

    return load_yaml(name)


@lru_cache(maxsize=1)
def glossary_pairs() -> list[tuple[str, str]]:
    """(english variant lower-case, chinese term) pairs, longest English first: glossary, actors, stages."""
    pairs: list[tuple[str, str]] = []
    for t in _terms():
        zh = t.get("zh")
        if not zh:
            continue
        for en in [t.get("en"), *((t.get("aliases") or {}).get("en") or [])]:
            if en:
                pairs.append((str(en).lower(), zh))
    for a in _actors():
        zh = a.get("zh")
        for en in [a.get("en"), *((a.get("aliases") or {}).get("en") or [])]:
            if en and zh:
                pairs.append((str(en).lower(), zh))
    from .vocab import en_zh

    pairs.extend((en.lower(), zh) for en, zh in en_zh())  # corpus/concepts.yaml en_zh + mined aligned pairs
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


@lru_cache(maxsize=1)
def glossary_patterns() -> list[tuple[str, list[str], re.Pattern]]:
    """glossary_map with each English variant's pattern over a question's padded lower-case words: the term or its
    inflection (hospital/hospitals, process/processing), never a longer word that begins with it ("contract" is not
    in "contractor", "app" not in "appeal"); variants that are function words ("have" 具备, a mined pair) dropped."""
    return [(en, zhs, re.compile(rf"(?<= ){re.escape(en)}(?:s|es|ed|d|ing)?(?= )"))
            for en, zhs in glossary_map() if en not in STOP_EN]


@lru_cache(maxsize=1)
def _domain_zh_terms() -> list[str]:
    terms = set()
    for t in _terms():
        if t.get("zh") and t.get("cat") != "verb":
            terms.add(t["zh"])
            terms.update((t.get("aliases") or {}).get("zh") or [])
    for a in _actors():
        if a.get("zh"):
            terms.add(a["zh"])
            terms.update((a.get("aliases") or {}).get("zh") or [])
    return sorted(t for t in terms if t)


@lru_cache(maxsize=1)
def actor_aliases() -> list[tuple[str, list[str]]]:
    """(surface form in a question, zh names to look for in clauses), longest surface first."""
    out = []
    for a in _actors():
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
    """Statute words for the everyday words of a Chinese question (corpus/concepts.yaml lay_zh, each sourced)."""
    from .vocab import lay_zh

    out = []
    for lay, legal in lay_zh().items():
        if lay in text:
            out.extend(legal)
    return out


def _norm(s: str) -> str:
    return re.sub(r"[\s《》<>\"“”]", "", s).lower()


def analyse(question: str, docs: dict | None = None) -> QueryAnalysis:
    text = question.strip()
    lang = detect_lang(text)
    low = text.lower()
    lay: list[str] = []
    zh_terms: list[str] = []
    rest = ""
    if lang == "en":
        rest = " " + re.sub(r"[^a-z0-9\-' ]", " ", low) + " "
        for en, zhs, pat in glossary_patterns():
            if en.split()[0] in rest and pat.search(rest):
                zh_terms.extend(zhs)
                rest = pat.sub(" ", rest)
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
    from .vocab import domain_words, en_word_match

    domain = [w for w in domain_words(lang) if (w in text if lang == "zh" else en_word_match(w, text))]
    from .intent import intents as _intents, is_yes_no, primary

    found = _intents(text, lang)
    generic = domain_generic_words()
    seen_text = " ".join([low, *lay, *zh_terms]).lower()
    generic_here = [g for g in generic if len(g) >= 2 and g in seen_text]
    core = [t for t in zh_tokens if t not in generic and not any(t in g for g in generic_here)]
    if lang == "zh":
        core_text = "".join(t for t in _jieba().lcut(text) if t.lower() not in generic)
    else:
        core_text = text
        for g in sorted(generic_here, key=len, reverse=True):
            core_text = re.sub(rf"\b{re.escape(g)}s?\b", " ", core_text, flags=re.I)
    core_text = re.sub(r"\s+", " ", core_text).strip()
    return QueryAnalysis(
        text=text, lang=lang, zh_tokens=zh_tokens, en_tokens=en_tokens, zh_terms=list(dict.fromkeys(zh_terms)),
        en_rest=re.sub(r"\s+", " ", rest).strip() if lang == "en" else "",
        instruments=instruments, version_hints=hints, asks_penalty=bool(PENALTY.search(text)),
        actor_terms=list(dict.fromkeys(actor_terms)), domain_terms=domain, lay_terms=lay,
        legal_terms=_legal_terms(text if lang == "zh" else "", zh_terms + lay),
        intents=found, intent=primary(found), yes_no=is_yes_no(text, lang), actor_ids=_actor_ids(text, lay, zh_terms),
        core_tokens=core or zh_tokens, core_text=core_text if len(core_text) >= 4 else text,
        mentions_ai=bool(AI_WORDS.search(text)),
    )


AI_WORDS = re.compile(r"人工智能|(?<![A-Za-z])AI(?![A-Za-z])|智能|算法|模型|大模型|机器学习|深度学习|artificial intelligence|algorithm|"
                      r"machine learning|\bmodels?\b|chatbot|\bLLM", re.I)


@lru_cache(maxsize=1)
def domain_generic_words() -> frozenset[str]:
    """Words that describe the whole product domain (AI, 医疗, 软件, 平台 …), not the legal issue: retrieval
    down-weights them (a second lexical and dense query without them), so "AI" does not pull every question towards
    the AI guidelines."""
    from .vocab import domain_generic

    return frozenset(w.lower() for w in domain_generic("zh") | domain_generic("en"))


@lru_cache(maxsize=1)
def _actor_surfaces() -> list[tuple[str, str]]:
    """(surface form, actor id), longest first: every zh/en name and alias of corpus/actors.yaml."""
    from corpus import taxonomy

    tax = taxonomy.actors()
    out = []
    for eid in tax.ids():
        for a in tax.aliases(eid):
            if a and len(a) >= 2:
                out.append((a if _CJK.search(a) else a.lower(), eid))
    out.sort(key=lambda p: -len(p[0]))
    return out


def _actor_ids(text: str, lay: list[str], zh_terms: list[str]) -> list[str]:
    """Actor taxonomy ids the question names, directly or through lay words mapped to statute words (医院 ->
    医疗机构); a surface inside a longer one already found does not count again (注册人 inside 医疗器械注册人)."""
    low = f" {text.lower()} "
    hay = text + " " + " ".join(lay + zh_terms)
    found: list[str] = []
    used: list[str] = []
    for surface, eid in _actor_surfaces():
        hit = (surface in hay) if _CJK.search(surface) else (f" {surface} " in low or f" {surface}s " in low)
        if hit and not any(surface in u for u in used):
            used.append(surface)
            if eid not in found:
                found.append(eid)
    return found
