"""The extractive answer as a short legal memo, composed from the retrieved clauses and the graph, no LLM:

  结论 / Conclusion      需要 / 不需要 / 可以 / 不得 / 最高可处… / …日内 / liability sentence, in the question's language
  依据 / Legal basis     the deciding clauses quoted to the 款/项, binding instruments first
  条件与例外             但书, 除外, 从其规定 sentences of the clauses relied on
  定义 / Definitions     the corpus definitions (DEFINED_IN) of the concepts the question uses
  罚则 / Penalties       the PENALIZES-linked penalty clauses with their tiers parsed (qa.penalty)
  时限 / Deadlines       the time limits the clauses set

Every line ends with its citation 〔…〕 and every quotation is verbatim text of the provision it cites; the
citations list holds exactly the provisions shown. With an LLM configured, this memo is the verified skeleton.
"""
from __future__ import annotations

import re

from ingest.numerals import CN_ONE_TO_TEN

from . import penalty as pen
from .intent import asks_personal
from .schemas import Citation
from .text import tokens_en, tokens_zh

MODAL_MUST = re.compile(r"应当|必须|须|需要|需")
MODAL_NOT = re.compile(r"不得|禁止|严禁|不能|不准")
MODAL_MAY = re.compile(r"可以|有权|方可|允许")
MODAL_NEG = re.compile(r"不承担|不需要|无需|不适用|免除|不属于")
EXCEPTION = re.compile(r"但是|但书|除外|从其规定|不适用|另有规定|例外|但[^是]")
DEADLINE = re.compile(rf"[^，；。：]*?(?:\d+|[{CN_ONE_TO_TEN}百]+)(?:个)?(?:工作日|日|天|个月|月|年(?!度)|小时)(?:内|以内|之内|前)?"
                      r"[^，；。]*")
LIABLE = re.compile(r"承担[^，；。]{0,12}责任|赔偿|连带责任|过错|推定")
DEFINING = re.compile(r"是指|属于|包括|视为")
AGGRAVATED = re.compile(r"情节严重|情节特别严重|特别严重|拒不改正|逾期不改正|严重后果|serious|refus|ignor", re.I)
REFERS_PENALTY = re.compile(r"(?:依照|按照)[^。；]{0,40}第[^。；]{1,12}条[^。；]{0,12}(?:规定)?(?:予以)?(?:处罚|处理)")
SENT = re.compile(r"(?<=[。；！？;])")

H = {
    "zh": {"conclusion": "结论：", "basis": "依据：", "cond": "条件与例外：", "def": "定义：", "pen": "罚则：",
           "deadline": "时限：", "related": "其他可能相关的条款："},
    "en": {"conclusion": "Conclusion: ", "basis": "Legal basis:", "cond": "Conditions and exceptions:",
           "def": "Definitions:", "pen": "Penalties:", "deadline": "Deadlines:",
           "related": "Other possibly relevant provisions:"},
}


SECTIONS = ("basis", "cond", "def", "pen", "deadline", "related")


def sentences(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        out += [s.strip() for s in SENT.split(line) if s.strip()]
    return out


class Memo:
    def __init__(self, answerer, qa):
        self.a = answerer
        self.r = answerer.retriever
        self.qa = qa
        self.lang = "en" if qa.lang == "en" else "zh"
        self.h = H[self.lang]
        self.qtok = set(qa.zh_tokens) | set(qa.core_tokens)
        self.sections: dict[str, list[str]] = {k: [] for k in SECTIONS}
        self._cites: dict[str, Citation] = {}
        self.conclusion_text = ""
        self._pen_summary: tuple[str, str] | None = None  # (summary, citation)
        self._lead: tuple[str, object] | None = None  # (sentence, provision) the conclusion rests on

    # -------------------------------------------------------------------------------------------- citations
    def _cite(self, prov, doc) -> str:
        if prov.id not in self._cites:
            en_text, en_cit = self.r.english_of(prov.id)
            self._cites[prov.id] = Citation(
                provision_id=prov.id, doc_id=doc.id, doc_title=doc.title, article=prov.article,
                paragraph=prov.paragraph, citation=prov.citation, quote=prov.text,
                version=doc.version or doc.effective, text_en=en_text, citation_en=en_cit, current=bool(doc.current),
                incomplete=doc.incomplete)
        return f"〔{prov.citation}〕"

    def citations(self) -> list[Citation]:
        return list(self._cites.values())

    # -------------------------------------------------------------------------------------------- pieces
    def _best(self, text: str, prefer: re.Pattern | None = None) -> str:
        ss = sentences(text)
        if not ss:
            return text.strip()

        def score(s: str) -> float:
            v = len(set(tokens_zh(s)) & self.qtok)
            if prefer is not None and prefer.search(s):
                v += 3
            if MODAL_MUST.search(s) or MODAL_NOT.search(s) or MODAL_MAY.search(s):
                v += 0.5
            return v - 0.001 * len(s)

        return max(ss, key=score)

    def _quote_line(self, h, prefer=None) -> tuple[str, object]:
        """'- 《…》第N条第M款：“sentence”〔citation〕' for a hit; the provision is the narrowest one holding it."""
        s = self._best(h.pinpoint.text, prefer)
        p = self.a._narrowest(h.pinpoint, s)
        tag = self._cite(p, h.unit.doc)
        if self.lang == "en":
            en_text, en_cit = self.r.english_of(p.id)
            if en_text:
                e = self._best_en(en_text, s, p.text)
                return f"- {en_cit or p.citation}: “{e}” (Official English; Chinese: “{s}”){tag}", (s, p)
            return f"- {p.citation}: “{s}” (Chinese text; no official English translation is loaded){tag}", (s, p)
        return f"- {p.citation}：“{s}”{tag}", (s, p)

    def _best_en(self, text: str, zh_sentence: str | None = None, zh_text: str | None = None) -> str:
        """The English sentence to quote: aligned with the quoted Chinese sentence (same line, then the same
        sentence of it, or the whole line) when both texts have the same lines, so the two quotes say the same
        thing; else the sentence with the best word overlap."""
        ss = [x.strip() for x in re.split(r"(?<=[.;:])\s+|\n", text) if x.strip()]
        if zh_sentence and zh_text:
            # items are lines in both texts: the same line, then the same sentence within it when both split alike
            zl = [x for x in zh_text.split("\n") if x.strip()]
            el = [x for x in text.split("\n") if x.strip()]
            k = next((j for j, x in enumerate(zl) if zh_sentence in x), None)
            if k is not None and len(zl) == len(el):
                zs = sentences(zl[k])
                es = [x.strip() for x in re.split(r"(?<=[.;!?])\s+", el[k]) if x.strip()]
                return es[zs.index(zh_sentence)] if len(zs) == len(es) and zh_sentence in zs else el[k].strip()
        q = set(self.qa.en_tokens)
        return max(ss, key=lambda x: len(set(tokens_en(x)) & q) - 0.001 * len(x)) if ss else text

    def basis(self, chosen) -> None:
        prefer = {"liability": LIABLE, "deadline": DEADLINE, "definition": DEFINING,
                  "prohibited": MODAL_NOT}.get(self.qa.intent)
        for k, h in enumerate(chosen):
            line, sp = self._quote_line(h, prefer)
            self.sections["basis"].append(line)
            if k == 0:
                self._lead = (sp[0], sp[1], h)
            # exceptions and conditions of the clause relied on (但书, 除外, 从其规定), verbatim
            for s in sentences(h.pinpoint.text):
                if EXCEPTION.search(s) and s != sp[0] and len(self.sections["cond"]) < 3:
                    p = self.a._narrowest(h.pinpoint, s)
                    self.sections["cond"].append(f"- “{s}”{self._cite(p, h.unit.doc)}")
            for s in sentences(h.pinpoint.text):
                m = DEADLINE.search(s)
                if m and re.search(r"日|月|年|小时", m.group(0)) and len(self.sections["deadline"]) < 2 and \
                        (self.qa.intent == "deadline" or k == 0):
                    p = self.a._narrowest(h.pinpoint, s)
                    self.sections["deadline"].append(f"- “{s}”{self._cite(p, h.unit.doc)}")
                    break

    def related(self, hits) -> None:
        """其他可能相关的条款: clauses the ranker scores close to the basis; quoted and cited, not used by the
        conclusion."""
        for h in hits:
            line, _ = self._quote_line(h)
            self.sections["related"].append(line)

    def definitions(self, chosen) -> None:
        """The corpus definitions (DEFINED_IN) of the question's concepts, from the instruments the answer relies on
        (a definition is scoped to its own text: 本法所称…); the lead clause's instrument first."""
        ctx = self.r.graph
        order = list(dict.fromkeys(h.unit.doc.id for h in chosen))
        for term in self.qa.concepts[:3]:
            defs = [(art, d) for art, d in ctx.defines.get(term, []) if art.split("/", 1)[0] in order]
            defs.sort(key=lambda ad: order.index(ad[0].split("/", 1)[0]))
            for art, definition in defs[:1]:
                i = self.r.zh_index.get(art)
                if i is None or not self.r.live(self.qa)[i]:
                    continue
                u = self.r.zh_units[i]
                hold = next((c for c in [u.prov, *u.paragraphs] if definition and definition[:12] in c.text), u.prov)
                s = next((x for x in sentences(hold.text) if term in x), sentences(hold.text)[0])
                p = self.a._narrowest(hold, s)
                self.sections["def"].append(f"- {term}：“{s}”{self._cite(p, u.doc)}")

    def penalties(self, chosen, penalties) -> None:
        """罚则: the penalty clauses relied on (retrieved ones first, then those PENALIZES links to the duties), each
        article parsed whole (its tiers may sit in another paragraph than the pinpoint)."""
        seen = set()
        retrieved = [x for x in chosen if self.r.is_penalty[self.r.zh_index[x.unit.prov.id]]]
        # the lead clause's own sanction first: the lead itself when it is a penalty clause, else the penalty the
        # graph links to the lead duty, then the other retrieved penalty clauses and links
        if retrieved and retrieved[0] is chosen[0]:
            order = retrieved + list(penalties)
        else:
            order = list(penalties) + retrieved
        personal = asks_personal(self.qa.text, self.lang)
        for h in order:
            if h.unit.prov.id in seen:
                continue
            seen.add(h.unit.prov.id)
            parsed, prov, doc = self._sanction(h)
            if not parsed.tiers:
                continue
            tag = self._cite(prov, doc)
            summ = (pen.summary_en(parsed, personal) if self.lang == "en" else pen.summary_zh(parsed, personal))
            how = h.signals.get("method")
            via = {"inferred": "（推定关联 inferred link）", "general": "（一般罚则 general penalty clause）"}.get(how, "")
            self.sections["pen"].append(f"- {prov.citation}{via}：{summ}{tag}")
            if self._pen_summary is None:
                self._pen_summary = (summ, prov.citation)

    def _sanction(self, h):
        """(parsed tiers, provision, document) of a penalty hit: the pinpoint paragraph's own tiers when it has them
        (药品管理法第一百三十四条第三款 fines 医疗机构 less than 第一款 fines the holder), unless the question asks about
        an aggravating trigger only another paragraph has; else the whole article; a clause that only refers to
        another article's penalty (依照…第八十六条的规定处罚) is followed through CITES."""
        art, doc = h.unit.prov, h.unit.doc
        whole = pen.parse(art.text)
        pin = h.pinpoint
        if pin is not None and pin.id != art.id:
            own = pen.parse(pin.text)
            if own.tiers:
                paras = list(h.unit.paragraphs)
                k = next((j for j, c in enumerate(paras) if c.id == pin.id), None)
                up = pen.escalations(paras, k) if k is not None else []
                if up:
                    # 有前款规定的违法行为，情节严重的… : a later paragraph raises this one's tiers
                    return pen.parse("\n".join([pin.text] + [c.text for c in up])), art, doc
                trig = AGGRAVATED.search(self.qa.text)
                if not trig or any(t.condition for t in own.tiers) or not any(t.condition for t in whole.tiers):
                    return own, pin, doc
        if whole.tiers or not REFERS_PENALTY.search(art.text):
            return whole, art, doc
        for b in sorted(self.r.graph.cites.get(art.id, ())):
            i = self.r.zh_index.get(b)
            if i is None or not self.r.live(self.qa)[i]:
                continue
            u = self.r.zh_units[i]
            other = pen.parse(u.prov.text)
            if other.tiers:
                return other, u.prov, u.doc
        return whole, art, doc

    # -------------------------------------------------------------------------------------------- conclusion
    def conclude(self, chosen, penalties) -> None:
        en = self.lang == "en"
        qa = self.qa
        if qa.intent == "penalty" and self._pen_summary:
            summ, cit = self._pen_summary
            c = (f"the penalty under {cit} is {summ}〔{cit}〕" if en else f"依据{cit}，{summ}〔{cit}〕")
        elif self._lead is not None:
            s, p, h = self._lead
            verdict = self._verdict(s, h.pinpoint.text)
            if en:
                en_text, en_cit = self.r.english_of(p.id)
                basis = (f"Under {en_cit or p.citation} (Official English): “{self._best_en(en_text, s, p.text)}”"
                         if en_text
                         else f"Under {p.citation} (Chinese text; no official English is loaded): “{s}”")
                c = (f"{verdict} " if verdict else "") + f"{basis}〔{p.citation}〕"
            else:
                c = (f"{verdict}" if verdict else "") + f"根据{p.citation}，“{s}”〔{p.citation}〕"
        else:
            c = ""
        self.conclusion_text = c

    def _verdict(self, s: str, clause: str) -> str:
        """需要 / 不需要 / 可以 / 不得 for yes/no questions, from the modality of the deciding sentence."""
        qa = self.qa
        en = self.lang == "en"
        exc = bool(EXCEPTION.search(clause))
        if not qa.yes_no:  # "what must we do" is not answered "yes"
            return ""
        asks_may = qa.intent in ("may", "prohibited") or "may" in qa.intents
        if MODAL_NOT.search(s):
            v = ("No — it is prohibited" if en else "不得") + (", subject to the exceptions below." if en and exc else
                                                             "（有例外，见下列条件与例外）。" if exc else ("." if en else "。"))
        elif MODAL_NEG.search(s):
            v = "No." if en else "不需要。"
        elif MODAL_MUST.search(s):
            if asks_may:
                v = "Yes, but only if the requirements below are met." if en else "可以，但须满足以下要求。"
            else:
                v = ("Yes, it is required" if en else "需要") + ((", subject to the exceptions below." if en else
                                                              "（有例外，见下列条件与例外）。") if exc else
                                                             ("." if en else "。"))
        elif MODAL_MAY.search(s):
            v = ("Yes, it is permitted, subject to the conditions below." if en else "可以，但须符合以下条件。") \
                if ("方可" in s or exc) else ("Yes, it is permitted." if en else "可以。")
        else:
            return ""
        return v

    # -------------------------------------------------------------------------------------------- render
    def render(self) -> str:
        lines = []
        if self.conclusion_text:
            lines.append(self.h["conclusion"] + self.conclusion_text)
        for key in SECTIONS:
            items = list(dict.fromkeys(self.sections[key]))
            if items:
                lines.append(self.h[key])
                lines.extend(items)
        return "\n".join(lines)
