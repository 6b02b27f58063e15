"""Penalty tiers of a sanction clause, parsed from its text: fixed fines (…以下, …以上…以下), multiples of an amount
(违法所得/货值金额 N倍以上M倍以下), turnover shares (上一年度营业额百分之五以下), and the other sanctions (警告, 没收违法所得,
责令停产停业, 吊销…许可证/营业执照, 禁止担任…, 刑事责任), separated into the sanctions on the entity and those on the people
in charge (直接负责的主管人员和其他直接责任人员). Every tier keeps its verbatim text, so an answer quotes, never rewrites.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.numerals import CN_ONE_TO_TEN

NUM = rf"[0-9０-９.]+|[零{CN_ONE_TO_TEN}百千万亿两]+"  # amounts count in 万 and 亿 too
AMOUNT = rf"(?:{NUM})(?:万|千|百)?元"
FIXED = re.compile(rf"(?:(?P<lo>{AMOUNT})以上)?(?P<hi>{AMOUNT})以下(?:的)?(?P<tail>(?:或者|、)[^；。，]*?以下)?罚款")
# the lower bound may be a share (百分之五十以上三倍以下, 30%以上3倍以下); 所获收入 is the personal sanction's base
# (没收违法行为发生期间自本单位所获收入，并处所获收入30%以上3倍以下罚款)
MULTIPLE = re.compile(rf"(?P<base>(?:违法所得|货值金额|违法收入|所获收入|采购金额|交易金额|上一年度营业额|涉案金额)[^；。，]{{0,6}}?)"
                      rf"(?:(?:(?P<lo>{NUM})倍|百分之[零{CN_ONE_TO_TEN}百]+|[0-9０-９.]+[%％])以上)?"
                      rf"(?:(?P<hi>{NUM})倍|(?P<eq>等值))以下(?:的)?罚款")
# a share of an amount: 货值金额百分之三十以下的罚款, 中标项目金额千分之五以上千分之十以下的罚款 (turnover shares: TURNOVER)
SHARE = re.compile(rf"(?P<base>[^；。，、处]{{0,10}}?(?:金额|所得|收入|营业额|数额))(?:(?:百分之|千分之)[零{CN_ONE_TO_TEN}百]+以上)?"
                   rf"(?P<unit>百分之|千分之)(?P<hi>[零{CN_ONE_TO_TEN}百]+)以下(?:的)?罚款")
TURNOVER = re.compile(rf"上一年度营业额百分之(?P<pct>[零{CN_ONE_TO_TEN}]+)以下")
OTHER = [("warning", r"警告"), ("confiscation", r"没收违法所得|没收[^，；。]{0,12}(产品|器械|药品|工具|设备|原料)"),
         ("suspension", r"责令(暂停|停产停业|停业整顿)[^，；。、：]{0,12}|暂停相关业务|停业整顿"),
         ("revocation", r"吊销[^，；。、：]{0,20}"), ("ban", r"(禁止|不得)[^，；。：]{0,30}(担任|从事|申请)[^，；。：]{0,30}"),
         ("criminal", r"依法追究刑事责任"), ("detention", r"拘留")]
COND = re.compile(r"[^，；。]*?(情节严重|情节特别严重|情节较重|拒不改正|造成[^，；。]{0,30}?后果|逾期不改正|"
                  r"(货值金额|违法所得)[^，；。]{0,12})"
                  r"(?:(?:或者|、)[^，；。]{0,16}?)?的")  # 拒不改正或者导致危害网络安全等后果的
# a paragraph that raises the tiers of the one(s) before it: 有前款规定的违法行为，情节严重的… / 有前两款行为，造成…后果的
ESCALATES = re.compile(r"^有前(?P<n>[两二三四]?)款(?:规定的)?(?:违法)?行为|^有前(?P<m>[两二三四]?)款规定|"
                       r"前款规定的违法行为[^。；]{0,8}情节严重")


def escalations(paras: list, k: int) -> list:
    """The later paragraphs that escalate paragraph k (their text opens 有前款…, or 有前两款… within two)."""
    out = []
    for j in range(k + 1, min(len(paras), k + 5)):
        m = ESCALATES.search(paras[j].text)
        if not m:
            continue
        n = {"": 1, "两": 2, "二": 2, "三": 3, "四": 4}[m.group("n") or m.group("m") or ""]
        if j - k <= n:
            out.append(paras[j])
    return out


PERSONAL = re.compile(r"(对|并对|对其)?(直接负责的主管人员|法定代表人|主要负责人|责任人员|有关责任人员)")


@dataclass
class Tier:
    target: str  # "entity" | "personal"
    kind: str  # "fixed" | "multiple" | "turnover" | "share"
    text: str  # the verbatim amount phrase, e.g. 五千万元以下或者上一年度营业额百分之五以下罚款
    max_value: float  # yuan for fixed, multiple for multiple, percent for turnover and share
    condition: str = ""  # the 情节/trigger that opens the tier, verbatim (e.g. 情节严重的)


@dataclass
class Penalties:
    tiers: list[Tier] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)  # (kind, verbatim)

    @property
    def entity_max(self) -> Tier | None:
        fixed = [t for t in self.tiers if t.target == "entity" and t.kind == "fixed"]
        return max(fixed, key=lambda t: t.max_value) if fixed else None

    @property
    def entity_multiples(self) -> list[Tier]:
        return [t for t in self.tiers if t.target == "entity" and t.kind == "multiple"]

    @property
    def personal_multiples(self) -> list[Tier]:
        """The people's fines counted on an amount: 所获收入30%以上3倍以下, 单位罚款数额百分之五以上百分之十以下."""
        return [t for t in self.tiers if t.target == "personal" and t.kind in ("multiple", "share")]

    @property
    def personal_max(self) -> Tier | None:
        ps = [t for t in self.tiers if t.target == "personal" and t.kind == "fixed"]
        return max(ps, key=lambda t: t.max_value) if ps else None

    def __bool__(self) -> bool:
        return bool(self.tiers or self.other)


def to_number(s: str) -> float:
    """五千万元 -> 5e7; 100万元 -> 1e6; 30 -> 30 (numerals as statutes write them)."""
    s = s.replace("元", "").translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    mult = 1.0
    if re.fullmatch(r"[0-9.]+[万千百]?", s):
        if s.endswith("万"):
            mult, s = 1e4, s[:-1]
        elif s.endswith("千"):
            mult, s = 1e3, s[:-1]
        elif s.endswith("百"):
            mult, s = 1e2, s[:-1]
        try:
            return float(s) * mult
        except ValueError:
            return 0.0
    import cn2an

    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError):
        return 0.0


def parse(text: str) -> Penalties:
    out = Penalties()
    for seg in re.split(r"(?<=[；。])|\n", text):
        if not seg.strip():
            continue
        # within a sentence, what follows 对直接负责的主管人员… is personal
        cut = PERSONAL.search(seg)
        parts = [(seg[: cut.start()], "entity"), (seg[cut.start():], "personal")] if cut else [(seg, "entity")]
        # the trigger of each tier: the last 情节严重的 / 拒不改正的 / 货值金额不足1万元的 before it in the sentence -- never
        # an amount phrase itself (并处…货值金额百分之五十以上三倍以下的 is the fine) nor a rule after it (违法所得不足一万元的，
        # 按一万元计算)
        conds = [(m.end(), m.group(0).strip("，")) for m in COND.finditer(seg)
                 if not re.search(r"罚款|倍|没收|并处|处以", m.group(0))]

        def cond_at(pos: int) -> str:
            return next((c for end, c in reversed(conds) if end <= pos), "")

        for (part, target), off in zip(parts, (0, cut.start() if cut else 0)):
            for m in FIXED.finditer(part):
                hi = to_number(m.group("hi"))
                out.tiers.append(Tier(target, "fixed", m.group(0), hi, cond_at(off + m.start())))
            for m in MULTIPLE.finditer(part):
                hi = 1.0 if m.group("eq") else to_number(m.group("hi"))
                out.tiers.append(Tier(target, "multiple", m.group(0), hi, cond_at(off + m.start())))
            for m in SHARE.finditer(part):
                if "上一年度营业额" in m.group("base"):
                    continue  # TURNOVER's
                pct = to_number(m.group("hi")) / (10 if m.group("unit") == "千分之" else 1)
                out.tiers.append(Tier(target, "share", re.sub(r"^(?:并处|处)", "", m.group(0)), pct,
                                      cond_at(off + m.start())))
            for m in TURNOVER.finditer(part):
                out.tiers.append(Tier(target, "turnover", m.group(0), to_number(m.group("pct")),
                                      cond_at(off + m.start())))
        for kind, rx in OTHER:
            for m in re.finditer(rx, seg):
                if (kind, m.group(0)) not in out.other:
                    out.other.append((kind, m.group(0)))
    return out


def summary_zh(p: Penalties, personal_first: bool = False) -> str:
    """最高可处… for the entity (every fixed and multiple tier, highest first, with its trigger), then the people in
    charge and the other sanctions; all amount phrases verbatim. `personal_first`: the question asks what happens to
    the people in charge (法定代表人, 负责人, 我个人), so their sanctions lead."""
    parts = []
    ent = sorted([t for t in p.tiers if t.target == "entity" and t.kind in ("fixed", "multiple", "share")],
                 key=lambda t: (("fixed", "multiple", "share").index(t.kind), -t.max_value))
    seen = set()
    for i, t in enumerate(ent):
        if t.text in seen:
            continue
        seen.add(t.text)
        lead = "最高可处" if not parts else ""
        parts.append(f"{lead}{t.text}" + (f"（{t.condition}）" if t.condition else ""))
    people = []
    pm = p.personal_max
    if pm:
        people.append(f"对直接责任人员最高{pm.text}")
    pmult = [t for t in p.personal_multiples if t.text not in seen]
    if pmult:
        people.append("对责任人员并处" + "、".join(dict.fromkeys(t.text for t in pmult)))
    if personal_first and people:
        parts = people + (["对单位最高可处" + parts[0].removeprefix("最高可处")] + parts[1:] if parts else [])
    else:
        parts += people
    s = "；".join(parts)
    others = [v for k, v in p.other if k in ("suspension", "revocation", "ban", "criminal")]
    if others:
        s += ("；" if s else "") + "并可" + "、".join(dict.fromkeys(others[:3]))
    return s


def summary_en(p: Penalties, personal_first: bool = False) -> str:
    """English: the amounts in figures, with the verbatim Chinese phrase beside them; every entity tier, highest first,
    with its trigger, as the Chinese summary has them (the ordinary tier beside the aggravated one, so a first
    offence is not read as facing the aggravated maximum)."""
    parts = []
    fixed = sorted([t for t in p.tiers if t.target == "entity" and t.kind == "fixed"], key=lambda t: -t.max_value)
    seen, triggered = set(), False  # triggered: an earlier (higher) tier had a trigger, so this one is "otherwise"
    for t in fixed:
        if t.text in seen:
            continue
        seen.add(t.text)
        head = "a fine of up to" if not parts else "otherwise up to" if triggered and not t.condition else "up to"
        triggered = triggered or bool(t.condition)
        parts.append(f"{head} RMB {t.max_value:,.0f}" + (" or a share of the previous year's turnover"
                                                        if "营业额" in t.text else "")
                     + f" ({t.text})" + (f", where {t.condition}" if t.condition else ""))
    for t in p.entity_multiples:
        parts.append(("up to the amount itself" if t.max_value == 1 and "等值" in t.text else
                      f"up to {t.max_value:g} times the amount") + f" ({t.text})"
                     + (f", where {t.condition}" if t.condition else ""))
    for t in p.tiers:
        if t.target == "entity" and t.kind == "share":
            parts.append(f"up to {t.max_value:g}% of the amount ({t.text})")
    people = []
    pm = p.personal_max
    if pm:
        people.append(f"up to RMB {pm.max_value:,.0f} for the people directly responsible ({pm.text})")
    for t in p.personal_multiples:
        people.append(f"for the people responsible, up to {t.max_value:g}" +
                      ("% of the amount" if t.kind == "share" else " times the amount") + f" ({t.text})")
    if personal_first and people:
        parts = people + [f"for the entity, {x}" if k == 0 else x for k, x in enumerate(parts)]
    else:
        parts += people
    kinds = {k for k, _ in p.other}
    words = {"suspension": "suspension of business", "revocation": "revocation of licences",
             "ban": "a ban on holding certain positions", "criminal": "criminal liability"}
    extra = [w for k, w in words.items() if k in kinds]
    if extra:
        parts.append("and " + ", ".join(extra))
    return "; ".join(parts)
