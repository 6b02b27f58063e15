"""Answers composed from the ranked clauses and the graph, every line cited; refuses out-of-scope questions and
questions that turn on an instrument whose text is not loaded (qa.scope).

Default (no LLM): a short legal memo (qa.memo: 结论 first, then 依据, 条件与例外, 定义, 罚则, 时限). With an LLM configured
(qa.llm), the model writes the prose from the same clauses and its citations and quotations are verified afterwards.
"""
from __future__ import annotations

import re
import time
from functools import cached_property

from ingest.citation import int_to_cn
from ingest.model import Provision

from .retrieve import Hit, Retriever
from .schemas import AskResponse
from .text import QueryAnalysis

RANK_MARGIN = 1.0  # the legal basis: further clauses whose ranker score is within this of the best (log-odds scale)
RELATED_MARGIN = 3.0  # "related provisions": quoted and cited below the basis, not relied on by the conclusion
# basis and related together. Margin and cap chosen on TRAIN from 5-fold out-of-fold ranker scores (in-sample scores
# spread wider than a new question's): a gold clause shown 0.853 at margin 2.0 (2.5 clauses an answer) -> 0.882 at 3.0
# (3.3 clauses); a cap of 6 would add 0.013 for 0.36 more clauses
MAX_CITED = 5


class Answerer:
    """`Answerer().ask(question) -> AskResponse`; uses qa.llm when YIGUI_LLM_* is configured and llm=True."""

    def __init__(self, retriever: Retriever | None = None, llm=None, use_llm: bool | None = None):
        self.retriever = retriever or Retriever()
        self._llm = llm
        self.use_llm = use_llm

    @cached_property
    def llm(self):
        if self._llm is not None:
            return self._llm
        if self.use_llm is False:
            return None
        from .llm import llm_from_env

        return llm_from_env()

    def warm_up(self) -> "Answerer":
        from .scope import nl_index

        nl_index(self.retriever.warm_up())  # the registry profiles, embedded now rather than in the first question
        return self

    # ------------------------------------------------------------------------------------------------ ask
    def ask(self, question: str, k: int = 8, as_of: str | None = None) -> AskResponse:
        """The memo (or the refusal); `as_of` (YYYY-MM-DD) answers from the versions in force that day, and a date the
        question itself names does the same."""
        if not question or not question.strip():
            raise ValueError("the question is empty: ask a question in Chinese or English")
        t0 = time.perf_counter()
        r = self.retriever.warm_up()
        qa = r.analyse(question, as_of)
        hits = r.search(question, k=k, qa=qa)
        notes: list[str] = []
        abstain, why, missing = self.should_abstain(qa, hits)
        if abstain:
            resp = self._abstain(question, qa, hits, why, missing)
        else:
            chosen, related = self._choose(hits)
            penalties = self._penalties(chosen, hits, qa)
            notes += self._version_notes(qa, chosen + related + penalties)
            notes += self._incomplete_notes(qa, chosen + related + penalties)
            if self.llm is not None:
                from .llm import llm_answer

                resp = llm_answer(self.llm, question, qa, chosen + related + penalties, r)
            else:
                resp = self._compose(question, qa, chosen, penalties, related)
            resp.notes = notes + resp.notes + self._missing_notes(qa, missing) + self._not_yet_notes(qa, resp)
        resp.as_of = qa.as_of
        resp.versions = list(dict.fromkeys(c.doc_id for c in resp.citations if c.doc_id))
        if qa.as_of:
            st = r.standing(qa.as_of)
            for c in resp.citations:
                c.current = st.get(c.doc_id or "") == "in_force"
        resp.took_ms = round((time.perf_counter() - t0) * 1000, 2)
        return resp

    # ------------------------------------------------------------------------------------------------ decide
    def should_abstain(self, qa: QueryAnalysis, hits: list[Hit]) -> tuple[bool, str, list[dict]]:
        """(abstain, why, not-loaded instruments the question turns on). A question naming a registered instrument
        whose text is not loaded is not answered from a substitute clause; otherwise the scope classifier decides."""
        from .scope import evidence, foreign_law, load_model, load_nl_model, not_loaded_for

        r = self.retriever
        loaded = {d.instrument for d in r.docs.values()} | set(r.docs)
        named, topical = not_loaded_for(qa, loaded)
        if not hits:
            return True, "no clause matched", named + topical
        if named and not (qa.instruments & loaded):  # names a missing instrument and no loaded one
            return True, "not loaded", named
        if foreign_law(qa):
            return True, "out of scope", []
        ev = evidence(r, qa, hits)
        p_nl, subjects = load_nl_model().decide(r, qa, hits, ev)
        self.last_not_loaded = p_nl
        if subjects:  # governed by a registered instrument whose text is not loaded
            return True, "not loaded (subject)", subjects
        m = load_model()
        p = m.prob(ev, qa.text, r._qvec(qa))
        self.last_scope = p
        if p < m.threshold:
            return True, ("not loaded" if topical else "out of scope"), topical
        return False, "", topical

    def _choose(self, hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
        """(basis, related): the ranker's best and those within RANK_MARGIN of its score, binding instruments before
        guidelines, then by score; then the clauses within RELATED_MARGIN, at most MAX_CITED in all."""
        top = hits[0].score
        near = [h for h in hits[:MAX_CITED] if h.score >= top - RELATED_MARGIN] or hits[:1]
        chosen = [h for h in near if h.score >= top - RANK_MARGIN] or near[:1]
        lead = chosen[0]
        rest = sorted(chosen[1:], key=lambda h: (-self.retriever.level_rank[self.retriever.zh_index[h.unit.prov.id]],
                                                  -h.score))
        return [lead] + rest, [h for h in near if h not in chosen]

    # ------------------------------------------------------------------------------------------------ compose
    def _compose(self, question: str, qa: QueryAnalysis, chosen: list[Hit], penalties: list[Hit],
                 related: list[Hit] = ()) -> AskResponse:
        """A short legal memo: 结论 first, then 依据 (deciding clauses to the 款/项), 条件与例外, 定义, 罚则 (tiers),
        时限; every line cited, and the citations list holds exactly the clauses shown."""
        from . import memo

        m = memo.Memo(self, qa)
        m.basis(chosen)
        m.definitions(chosen)
        m.related(related)
        m.penalties(chosen + list(related), penalties)
        m.conclude(chosen, penalties)
        return AskResponse(question=question, answer=m.render(), abstained=False, citations=m.citations(),
                           took_ms=0.0, mode="extractive", conclusion=m.conclusion_text)

    def _narrowest(self, prov: Provision, sentence: str) -> Provision:
        """The item (项) or sub-item (目) under `prov` whose text holds the sentence, so the citation is a pinpoint:
        a quote from （二） cites 第二十二条第一款第（二）项, not the whole paragraph."""
        best = prov
        for p in self._items_under().get(prov.id, ()):
            if sentence in p.text and len(p.id) > len(best.id):
                best = p
        return best

    def _items_under(self) -> dict[str, list[Provision]]:
        """Provision id -> the items and sub-items below it, built once per index (kept on the Retriever, which a
        re-ingest replaces): scanning every provision per quote cost milliseconds an answer."""
        r = self.retriever.warm_up()
        out = getattr(r, "_items_under", None)
        if out is None:
            out = {}
            for pid, p in r.by_id.items():
                if p.kind in ("item", "subitem"):
                    parts = pid.split("/")
                    for k in range(1, len(parts)):
                        out.setdefault("/".join(parts[:k]), []).append(p)
            r._items_under = out
        return out

    # ------------------------------------------------------------------------------------------------ graph
    def _penalties(self, chosen: list[Hit], hits: list[Hit], qa: QueryAnalysis) -> list[Hit]:
        """Penalty clauses linked to the chosen duties in the graph (PENALIZES: explicit, inferred or general), best
        link first; a penalty clause that was itself retrieved leads when the question asks about penalties."""
        r = self.retriever
        out: list[Hit] = []
        have = {h.unit.prov.id for h in chosen}
        order = {"explicit": 0, "general": 1, "inferred": 2}
        for h in chosen:
            if r.is_penalty[r.zh_index[h.unit.prov.id]]:
                continue
            links = sorted(r.graph.penalized_by.get(h.unit.prov.id, ()), key=lambda t: (order.get(t[1], 3), -t[2]))
            for pen, method, score in links:
                i = r.zh_index.get(pen)
                if i is None or pen in have or not r.live(qa)[i]:
                    continue
                have.add(pen)
                u = r.zh_units[i]
                out.append(Hit(u, 0.0, {"graph": 1.0, "method": method}, u.prov))
                break
        return out[:2]

    def _version_notes(self, qa: QueryAnalysis, hits: list[Hit]) -> list[str]:
        """Which version each cited article comes from and how the other versions stand: in force or superseded (on
        the as-of date when the question is dated, else today), or coming into force on a later date; whether the
        other version's article has the same text."""
        r = self.retriever
        en = qa.lang == "en"
        st = r.standing(qa.as_of)
        words = {"in_force": ("current", "现行"), "superseded": ("superseded", "已被修订"),
                 "not_yet": ("not yet in force", "尚未施行"), "draft": ("draft", "草案"), "repealed": ("repealed", "已废止")}
        if qa.as_of:
            words["in_force"] = (f"in force on {qa.as_of}", f"{qa.as_of}时有效")
            words["superseded"] = (f"superseded by {qa.as_of}", f"{qa.as_of}时已被修订")
        notes = []
        seen, announced = set(), set()
        for h in hits:
            d = h.unit.doc
            key = (d.id, h.unit.prov.article)
            if key in seen:
                continue
            seen.add(key)
            others = [o for o in r.docs.values() if o.instrument == d.instrument and o.id != d.id and o.lang == "zh"]
            if qa.as_of and d.id not in announced:
                announced.add(d.id)
            for o in others:
                so = st.get(o.id, "in_force")
                if so == "not_yet":
                    when = o.effective or o.version or ""
                    notes.append(f"{_label(o, en)} comes into force on {when}, after {qa.as_of or 'today'}; it is "
                                 "not relied on here." if en else
                                 f"{_label(o, en)}自{when}起施行，{qa.as_of or '目前'}尚未施行，本回答未以其为依据。")
                    continue
                if qa.as_of:
                    continue
                old = r.by_id.get(o.id + h.unit.prov.id[len(d.id):])
                same = old is not None and _same(old.text, h.unit.prov.text)
                sd = st.get(d.id, "in_force")
                if en:
                    notes.append(f"Relies on {d.title} ({d.version_year} version, {words[sd][0]}); the "
                                 f"{o.version_year} version ({words[so][0]}) "
                                 + ("has the same text in this article." if same else
                                    "differs in this article: check which version applies to the facts."))
                else:
                    notes.append(f"本回答依据《{d.title}》{d.version_year}年版（{words[sd][1]}）；"
                                 f"{o.version_year}年版（{words[so][1]}）"
                                 + ("该条文字相同。" if same else "该条文字不同，请核对事实发生时适用的版本。"))
        if announced:
            ds = [r.docs[x] for x in announced]
            ds.sort(key=lambda x: [h.unit.doc.id for h in hits].index(x.id))
            if en:
                notes.insert(0, f"As of {qa.as_of}: relies on the versions then in force, "
                             + "; ".join(_label(x, en, dates=True) for x in ds) + ".")
            else:
                notes.insert(0, f"以{qa.as_of}为准：依据当日有效的" + "、".join(_label(x, en, dates=True) for x in ds)
                             + "。")
        return list(dict.fromkeys(notes))

    def _not_yet_notes(self, qa: QueryAnalysis, resp: AskResponse) -> list[str]:
        """On a dated question: instruments that would answer it today but take effect after the date."""
        r = self.retriever
        cited = {r.docs[c.doc_id].instrument for c in resp.citations if c.doc_id in r.docs}
        out = []
        for d in r.not_yet_matches(qa):
            doc = r.docs[d]
            if doc.instrument in cited:
                continue  # said in the version notes
            when = doc.effective or doc.version or ""
            en = qa.lang == "en"
            out.append(f"{_label(doc, en)} would bear on this question but comes into force on {when}, after "
                       f"{qa.as_of}; it is not relied on here." if en else
                       f"{_label(doc, en)}与本问题相关，但自{when}起施行，{qa.as_of}时尚未施行，本回答未以其为依据。")
        return out

    @staticmethod
    def _incomplete_notes(qa: QueryAnalysis, hits: list[Hit]) -> list[str]:
        """A cited document whose source text has gaps: the answer says which articles it could not consider."""
        out, seen = [], set()
        for h in hits:
            d = h.unit.doc
            if not d.incomplete or d.id in seen:
                continue
            seen.add(d.id)
            more = "…" if len(d.missing_articles) > 8 else ""
            if qa.lang == "en":
                gaps = ", ".join(str(n) for n in d.missing_articles[:8]) + more
                out.append(f"The loaded text of {d.title} is incomplete (articles {gaps} are missing from the "
                           "source); they are not taken into account.")
            else:
                gaps = "、".join(f"第{int_to_cn(n)}条" for n in d.missing_articles[:8]) + more
                out.append(f"所收《{d.title}》文本不完整（原文缺{gaps}），所缺条文未予考虑。")
        return out

    @staticmethod
    def _missing_notes(qa: QueryAnalysis, missing: list[dict]) -> list[str]:
        out = []
        for ins in missing[:3]:
            title = ins.get("title") or ins["key"]
            out.append(f"The question may turn on {title}, whose text is not loaded; this answer does not take it into "
                       "account." if qa.lang == "en" else f"问题可能涉及《{title}》，其文本未收录，本回答未考虑该文件。")
        return out

    # ------------------------------------------------------------------------------------------------ abstain
    def _abstain(self, question: str, qa: QueryAnalysis, hits: list[Hit], why: str, missing: list[dict]
                 ) -> AskResponse:
        en = qa.lang == "en"
        titles = "、".join(f"《{i.get('title') or i['key']}》" for i in missing[:3])
        titles_en = "; ".join(i.get("title_en") or i.get("title") or i["key"] for i in missing[:3])
        if why.startswith("not loaded") and missing:
            # named: the question names the instrument; subject: the pair model recognised its subject (a judgement,
            # so said as one)
            turns = "appears to turn on" if why.endswith("(subject)") else "turns on"
            zh_turns = "看来取决于" if why.endswith("(subject)") else "取决于"
            msg = (f"This question {turns} {titles_en} ({titles}), whose text is not loaded in YiGui, so it is not "
                   "answered from other clauses. Load the instrument (`yigui ingest FILE`) to get an answer."
                   if en else f"该问题{zh_turns}{titles}，其文本未收录，因此不以其他条文代替作答；"
                   "可用 `yigui ingest 文件` 载入该文件后再问。")
        elif why == "out of scope":
            msg = ("This question is outside what the loaded texts govern (Chinese medical-AI, health, data and device "
                   "regulation); no clause is cited. The nearest clauses are listed as possibly related." if en else
                   "该问题不在已收录法规的调整范围内（医疗人工智能、医疗卫生、数据与器械监管），不作回答、不引用条文；"
                   "最接近的条文列于下方，仅供参考。")
        else:
            msg = ("No clause in the loaded texts answers this question closely enough, so no answer is given. "
                   "The nearest clauses are listed as possibly related." if en else
                   "已收录的条文中没有足够相关的规定，无法给出有依据的回答；最接近的条文列于下方，仅供参考。")
        related = [self.retriever.to_result(h) for h in hits[:3]]
        return AskResponse(question=question, answer=msg, abstained=True, citations=[], took_ms=0.0,
                           possibly_related=related, notes=[f"abstained: {why}"] + self._missing_notes(qa, missing),
                           not_loaded=[i["key"] for i in missing])


def _label(d, en: bool, dates: bool = False) -> str:
    """《title》（version label, in effect from …）: which version, since titles are shared by all versions."""
    bits = [d.version_label] if d.version_label and d.version_label not in d.title else []
    if dates and d.effective:
        bits.append(f"in effect from {d.effective}" if en else f"{d.effective}起施行")
    elif dates and d.version:
        bits.append(f"version of {d.version}" if en else f"{d.version}版")
    inner = (", " if en else "，").join(bits)
    return (f"{d.title} ({inner})" if en else f"《{d.title}》（{inner}）") if inner else \
        (d.title if en else f"《{d.title}》")


def _cn(n: int) -> str:
    from ingest.citation import int_to_cn

    return int_to_cn(n)


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)
