"""Defined terms (本法所称X，是指…) and the names a document gives its parties.

A definition becomes a Term (linked to the actor it names, if any); a term or an abbreviation (…服务提供者（以下称
提供者）) that names an actor or regulator is an alias for that document only, so its sentences recognise 提供者 as
the party it stands for without the word becoming a name everywhere.
"""
from __future__ import annotations

import re

from corpus import taxonomy
from graph.obligations.model import Term
from graph.obligations.units import ITEM_LABEL, sentences

DEFINITION = re.compile(
    r"(?:本(?:法|条例|办法|规定|解释|指导原则|标准)(?:中)?所称(?:的)?)?[“\"]?(?P<term>[^，。；：“”\"（）()]{2,30}?)[”\"]?"
    r"(?:（[^）]*）)?，?(?:是指|指的是|，指(?![导挥定出示明派引]))(?P<def>[^。；]{4,300})")
# "X是……的Y" where Y is X's genus (敏感个人信息是一旦泄露……的个人信息; 个人信息是以电子……记录的……各种信息): a definition
# by genus and difference, kept only when the genus ends the way the term does (its last two characters)
GENUS_DEFINITION = re.compile(r"^(?P<term>[\u4e00-\u9fa5]{2,12})是(?P<def>[^。；]{4,200}?的(?:各种|各类)?(?P<genus>[\u4e00-\u9fa5]{2,8}))[，。；]")
ACTOR_HEAD = re.compile(r"(者|人|方|单位|机构|企业|部门)$")
ABBREVIATION = re.compile(r"(?P<full>[\u4e00-\u9fa5、]{2,40})（以下(?:简)?称“?(?P<abbr>[^”）]{1,15})”?）")


def _head_actor(definition: str) -> str | None:
    """The actor a definition names as its head noun (研发方，是指…软件开发者 -> ai-md-developer)."""
    actors = taxonomy.actors()
    head = re.split(r"[，。；]", definition, maxsplit=1)[0]
    for size in range(min(len(head), 30), 1, -1):
        aid = actors.lookup(head[-size:])
        if aid:
            return aid
    return None


def terms_of(pd) -> list[Term]:
    """The terms one document defines, first definition of a term wins."""
    actors = taxonomy.actors()
    out: dict[str, Term] = {}
    for p in pd.provisions:
        if p.kind not in ("paragraph", "item", "section") and not (p.kind == "article" and "\n" not in p.text):
            continue
        body = ITEM_LABEL.sub("", p.text, count=1)
        if p.kind == "paragraph" and any(ITEM_LABEL.match(x) for x in p.text.split("\n")[1:]):
            body = p.text.split("\n")[0]
        for s in sentences(body):
            m = DEFINITION.search(s)
            if not m or m.start() > 12:
                g = GENUS_DEFINITION.match(s)
                if g and g.group("term").endswith(g.group("genus")[-2:]):
                    m = g
                else:
                    continue
            term = m.group("term").strip().strip("“”\"")
            term = re.sub(r"^(?:本(?:法|条例|办法|规定|解释|指导原则)(?:中)?所称(?:的)?|下列用语的含义：?)", "", term)
            if len(term) < 2 or any(ch in term for ch in "的是在对"):
                if not ACTOR_HEAD.search(term):
                    continue
            tid = f"{pd.document.id}:{term}"
            if tid in out:
                continue
            definition = m.group("def").strip()
            out[tid] = Term(id=tid, term=term, definition=definition, provision_id=p.id,
                            doc_id=pd.document.id, actor=actors.lookup(term) or _head_actor(definition))
    return list(out.values())


def doc_aliases(pd, terms: list[Term]) -> dict[str, tuple[str, str]]:
    """Names a document defines for an actor or regulator: its defined terms (本法所称X，是指…) and its
    abbreviations (…服务提供者（以下称提供者）). name -> (label, id); used to recognise subjects in that document."""
    actors, regs = taxonomy.actors(), taxonomy.regulators()
    out: dict[str, tuple[str, str]] = {}
    for t in terms:
        if t.actor:
            out[t.term] = ("ACTOR", t.actor)
    for p in pd.provisions:
        if p.kind not in ("article", "section", "preamble"):
            continue
        for m in ABBREVIATION.finditer(p.text):
            full, abbr = m.group("full"), m.group("abbr")
            for size in range(len(full), 1, -1):  # the longest known name that ends the phrase
                tail = full[-size:]
                aid, rid = actors.lookup(tail), regs.lookup(tail)
                if aid or rid:
                    out[abbr] = ("ACTOR", aid) if aid else ("REGULATOR", rid)
                    break
    return out
