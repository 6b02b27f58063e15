"""The requirement text of an obligation, in the clause's own words.

A register row must never drop a condition or a restriction, so the Chinese requirement is the clause itself,
trimmed of what carries no meaning (a leading 同时，/此外，), with the bearer named where the clause leaves it implied
(其…, 前款规定的…, no subject) and, for an item, the lead-in's bearer and modal before the item. Nothing is cut to a
length. English is not made up here: the register shows the official translation of the same clause where one is
aligned (graph.obligations.query), else says that there is none.
"""
from __future__ import annotations

import re

from corpus import taxonomy
from ingest.numerals import CN_OR_ARABIC_LABEL_NUM

LEADING = re.compile(r"^(?:同时|此外|另外|并且|其中|但是|但)[，,]")
ANAPHOR = re.compile(r"^(?:其|该|上述|前款规定的|前两款规定的|本条规定的)")
# the part of a lead-in that only announces its items (应当履行下列义务：, 不得有下列行为：)
ANNOUNCE = re.compile(r"(?:履行|遵守|做到|采取|落实|承担)?(?:下列|以下|下述)[^，。；：]{0,10}[：:]?$|[：:]$")


def who(ob) -> str:
    """The bearer's Chinese name(s) as the register shows them."""
    if ob.regulator_duty and ob.regulators:
        reg = taxonomy.regulators()
        return "、".join(reg[r]["zh"] for r in ob.regulators if r in reg)
    if ob.actors:
        act = taxonomy.actors()
        return "、".join(act[a]["zh"] for a in ob.actors if a in act)
    return ob.actor_text or ""


def _clean(s: str) -> str:
    return re.sub(r"\s+", "", s or "").strip("，,；; ")


def requirement_zh(ob, lead_text: str = "") -> str:
    text = LEADING.sub("", _clean(ob.text))
    bearer = who(ob)
    if lead_text:  # an item of a list of duties: the lead-in's bearer and modal, then the item
        lead = ANNOUNCE.sub("", LEADING.sub("", _clean(lead_text))).rstrip("，,：:")
        item = re.sub(rf"^[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]", "", text).rstrip("；;。")
        return f"{lead}：{item}" if lead else item
    named = bool(ob.actor_text and ob.actor_text in text)
    if bearer and (ANAPHOR.match(text) or not named) and bearer not in text:
        return f"【{bearer}】{ANAPHOR.sub('', text)}"
    return text


def build_requirements(ob, lead_text: str = "") -> None:
    ob.requirement_zh = requirement_zh(ob, lead_text)
    ob.requirement_en = ""  # the official translation is attached where it exists (graph.obligations.query)
