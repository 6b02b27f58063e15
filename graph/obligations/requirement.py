"""Short normalised requirement text in Chinese and English, built only from the clause and the glossary.

No machine translation: English is a template (actor + modal + verb + glossary terms of the object and condition);
a verb or object without a glossary entry is named as such instead of guessed."""
from __future__ import annotations

import re

from corpus import taxonomy

MODAL_ZH = {"obligation": "应当", "prohibition": "不得", "permission": "可以", "right": "有权"}
MODAL_EN = {"obligation": "shall", "prohibition": "shall not", "permission": "may", "right": "has the right to"}


def _who(ob) -> tuple[str, str]:
    if ob.regulator_duty and ob.regulators:
        reg = taxonomy.regulators()
        return "、".join(reg[r]["zh"] for r in ob.regulators), " and ".join(reg[r]["en"] for r in ob.regulators)
    if ob.actors:
        act = taxonomy.actors()
        return "、".join(act[a]["zh"] for a in ob.actors), " and ".join(act[a]["en"] for a in ob.actors)
    return (ob.actor_text or "（未明确主体）"), "[subject not stated]"


def _short(s: str, n: int) -> str:
    s = re.sub(r"\s+", "", s).strip("，。；：,;: ")
    return s if len(s) <= n else s[: n - 1] + "…"


def build_requirements(ob) -> None:
    g = taxonomy.glossary()
    who_zh, who_en = _who(ob)
    modal_zh = MODAL_ZH[ob.modality]
    body = _short(ob.predicate or f"{ob.action}{ob.object}", 60)
    cond = f"（{_short(ob.condition, 40)}）" if ob.condition else ""
    ob.requirement_zh = f"{cond}{who_zh}{modal_zh}{body}" if body else f"{cond}{who_zh}{modal_zh}…"
    verb_en = g.en(ob.action) if ob.action else None
    parts = [who_en, MODAL_EN[ob.modality]]
    if verb_en:
        parts.append(verb_en)
    elif ob.action:
        parts.append(f"[{ob.action}: not in glossary]")
    terms = [t for t in g.zh_terms_in(ob.object or "") if t != ob.action]
    en_terms = [g.en(t) for t in terms if g.en(t)]
    if en_terms:
        parts.append("— " + "; ".join(dict.fromkeys(en_terms)))
    elif ob.object:
        parts.append(f"[object not in glossary: {_short(ob.object, 20)}]")
    if ob.condition:
        cterms = [g.en(t) for t in g.zh_terms_in(ob.condition) if g.en(t)]
        parts.append(f"(condition: {'; '.join(dict.fromkeys(cterms))})" if cterms else "(conditional)")
    ob.requirement_en = " ".join(parts)
