"""Answers composed from retrieved clauses, every sentence cited; abstains when nothing relevant is strong enough.

Default (no LLM): a short direct answer from the operative sentences of the best clauses, the obligations grouped by
the actor they bind, related penalties, and the cited clauses verbatim. With an LLM configured (qa.llm), the model
writes the prose from the same clauses and its citations and quotations are verified afterwards.
"""
from __future__ import annotations

import re
import time
from functools import cached_property


from ingest.model import Provision

from .retrieve import Hit, Retriever
from .schemas import AskResponse, Citation
from .text import QueryAnalysis, actor_aliases, tokens_zh

# abstention thresholds, set from the score distributions of in-scope vs out-of-scope questions (corpus/eval)
# e5 cosines are compressed (0.75-0.93 for everything), so they only catch questions that match nothing at all;
# scope is decided by the question's vocabulary (qa.text.DOMAIN_*) and the instruments it names
MIN_DENSE = {"zh": 0.78, "en": 0.74}
RELATIVE_CUTOFF = 0.55  # cite further clauses only when their fused score is within this share of the best
MAX_CITED = 5
MODAL = re.compile(r"应当|不得|必须|禁止|可以|有权|方可|负责|承担|推定|适用|是指|包括|分为|不承担")
SENT_SPLIT = re.compile(r"(?<=[。；！？;])")
CN_NUM = "零一二三四五六七八九十百千"


def split_sentences(text: str) -> list[str]:
    """Sentences of a clause, verbatim (they concatenate back to the clause text, line breaks aside)."""
    out = []
    for line in text.split("\n"):
        for s in SENT_SPLIT.split(line):
            if s.strip():
                out.append(s.strip())
    return out


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
        self.retriever.warm_up()
        return self

    # ------------------------------------------------------------------------------------------------ ask
    def ask(self, question: str, k: int = 8) -> AskResponse:
        t0 = time.perf_counter()
        r = self.retriever.warm_up()
        qa = r.analyse(question)
        hits = r.search(question, k=k, qa=qa)
        notes: list[str] = []
        abstain, why = self.should_abstain(qa, hits)
        if abstain:
            resp = self._abstain(question, qa, hits, why)
        else:
            chosen = self._choose(hits)
            penalties = self._penalties(chosen, hits)
            notes += self._version_notes(qa, chosen + penalties)
            if self.llm is not None:
                from .llm import llm_answer

                resp = llm_answer(self.llm, question, qa, chosen + penalties, r)
            else:
                resp = self._compose(question, qa, chosen, penalties)
            resp.notes = notes + resp.notes
        resp.notes += self._missing_instrument_notes(qa)
        resp.took_ms = round((time.perf_counter() - t0) * 1000, 2)
        return resp

    # ------------------------------------------------------------------------------------------------ decide
    def should_abstain(self, qa: QueryAnalysis, hits: list[Hit]) -> tuple[bool, str]:
        if not hits:
            return True, "no clause matched"
        best_dense = max(max(h.signals.get("dense", 0), h.signals.get("dense_para", 0), h.signals.get("dense_en") or 0)
                         for h in hits[:3])
        if not qa.domain_terms and not qa.instruments:
            return True, "out of scope"
        if best_dense < MIN_DENSE.get(qa.lang, 0.78):
            return True, "weak match"
        return False, ""

    def _choose(self, hits: list[Hit]) -> list[Hit]:
        """Clauses the answer rests on: near the best fused score, and (when the question uses legal terms) carrying
        a fair share of them, so a clause that only shares everyday words (病历, 患者) does not lead the answer."""
        top = hits[0].score
        chosen = [h for h in hits[:MAX_CITED] if h.score >= RELATIVE_CUTOFF * top] or hits[:1]
        best_terms = max(h.signals.get("terms", 0.0) for h in chosen)
        if best_terms > 0:
            chosen = [h for h in chosen if h.signals.get("terms", 0.0) >= best_terms / 3]
            lead = max(chosen, key=lambda h: (h.signals.get("terms", 0.0), h.score))
            chosen = [lead] + [h for h in chosen if h is not lead]
        return chosen

    # ------------------------------------------------------------------------------------------------ compose
    def _compose(self, question: str, qa: QueryAnalysis, chosen: list[Hit], penalties: list[Hit]) -> AskResponse:
        r = self.retriever
        en = qa.lang == "en"
        cites: list[Citation] = []
        lines: list[str] = []
        qtok = set(qa.zh_tokens)
        # short direct answer: the best operative sentence of the best clause
        best = chosen[0]
        s0 = self._best_sentence(best.pinpoint.text, qtok)
        p0 = self._narrowest(best.pinpoint, s0)
        lines.append(("Short answer: under " if en else "简要回答：根据") + p0.citation +
                     ("" if not en else f" ({best.citation_en or best.unit.doc.title_en or ''})".replace(" ()", "")) +
                     ("：“" if not en else ": “") + s0 + "”" + self._cite_tag(p0.citation))
        if en:
            src = p0
            en_text, en_cit = r.english_of(p0.id)
            if not en_text:
                src = best.pinpoint
                en_text, en_cit = r.english_of(src.id)
            if en_text:
                lines.append(f"Official English of {src.citation} ({en_cit}): “{self._best_sentence_en(en_text, qa)}”")
        # obligations grouped by actor
        groups: dict[str, list[tuple[str, str]]] = {}
        extra: list[Citation] = []  # item-level pinpoints the sentences rest on, each shown with its own text
        if p0 is not best.pinpoint:
            extra.append(self._citation_of(p0, best))
        for h in chosen:
            lead = h.pinpoint.text.split("\n", 1)[0]
            for s in self._operative(h.pinpoint.text, qtok):
                p = self._narrowest(h.pinpoint, s)
                if p is not h.pinpoint:
                    extra.append(self._citation_of(p, h))
                actor = self._actor_of(s) or self._actor_of(lead) or ("(no actor named)" if en else "（未指明主体）")
                groups.setdefault(actor, []).append((s, p.citation))
        if groups:
            lines.append("" if not groups else ("Obligations by actor:" if en else "按主体归纳的义务："))
            for actor, items in groups.items():
                seen = set()
                for s, cit in items:
                    if (s, cit) in seen:
                        continue
                    seen.add((s, cit))
                    lines.append(f"- {actor}：“{s}”{self._cite_tag(cit)}")
        if penalties:
            lines.append("Related penalties:" if en else "相关罚则：")
            for h in penalties:
                sp = self._best_sentence(h.pinpoint.text, qtok | {'罚款'})
                pp = self._narrowest(h.pinpoint, sp)
                if pp is not h.pinpoint:
                    extra.append(self._citation_of(pp, h))
                lines.append(f"- “{sp}”{self._cite_tag(pp.citation)}")
        for h in chosen + penalties:
            cites.append(self._citation(h))
        cites.extend(extra)
        return AskResponse(question=question, answer="\n".join(l for l in lines if l), abstained=False,
                           citations=_dedupe(cites), took_ms=0.0, mode="extractive")

    @staticmethod
    def _cite_tag(citation: str) -> str:
        return f"〔{citation}〕"

    def _citation(self, h: Hit) -> Citation:
        p, d = h.pinpoint, h.unit.doc
        en_text, _ = self.retriever.english_of(p.id)
        return Citation(provision_id=p.id, doc_title=d.title, article=h.unit.prov.article,
                        paragraph=p.paragraph if p is not h.unit.prov else None, citation=p.citation, quote=p.text,
                        version=d.version or d.effective, text_en=en_text)

    def _narrowest(self, prov: Provision, sentence: str) -> Provision:
        """The item (项) or sub-item (目) under `prov` whose text holds the sentence, so the citation is a pinpoint:
        a quote from （二） cites 第二十二条第一款第（二）项, not the whole paragraph."""
        best = prov
        prefix = prov.id + "/"
        for pid, p in self.retriever.by_id.items():
            if pid.startswith(prefix) and p.kind in ("item", "subitem") and sentence in p.text:
                if len(pid) > len(best.id):
                    best = p
        return best

    def _citation_of(self, p: Provision, h: Hit) -> Citation:
        d = h.unit.doc
        en_text, _ = self.retriever.english_of(p.id)
        return Citation(provision_id=p.id, doc_title=d.title, article=p.article, paragraph=p.paragraph,
                        citation=p.citation, quote=p.text, version=d.version or d.effective, text_en=en_text)

    def _best_sentence(self, text: str, qtok: set[str]) -> str:
        sents = split_sentences(text)
        if not sents:
            return text.strip()

        def score(s: str) -> float:
            toks = set(tokens_zh(s))
            return len(toks & qtok) + (0.5 if MODAL.search(s) else 0) - 0.001 * len(s)

        # an item list introduced by a colon reads badly alone: keep the lead-in sentence when it wins
        return max(sents, key=score)

    def _best_sentence_en(self, text: str, qa: QueryAnalysis) -> str:
        sents = [s.strip() for s in re.split(r"(?<=[.;:])\s+|\n", text) if s.strip()]
        q = set(qa.en_tokens)
        from .text import tokens_en

        return max(sents, key=lambda s: len(set(tokens_en(s)) & q) - 0.001 * len(s)) if sents else text

    def _operative(self, text: str, qtok: set[str], limit: int = 2) -> list[str]:
        sents = [s for s in split_sentences(text) if MODAL.search(s)]
        sents.sort(key=lambda s: -len(set(tokens_zh(s)) & qtok))
        return sents[:limit]

    def _actor_of(self, sentence: str) -> str | None:
        best = None
        for surface, names in actor_aliases():
            if not re.search(r"[\u4e00-\u9fff]", surface):
                continue
            i = sentence.find(surface)
            if i != -1 and (best is None or i < best[0] or (i == best[0] and len(surface) > len(best[1]))):
                best = (i, surface, names[0])
        return best[2] if best and best[0] <= 30 else None

    # ------------------------------------------------------------------------------------------------ graph
    def _penalties(self, chosen: list[Hit], hits: list[Hit]) -> list[Hit]:
        """Penalty clauses of the same instrument that name a chosen article (违反本法第X条)."""
        r = self.retriever
        out: list[Hit] = []
        have = {h.unit.prov.id for h in chosen}
        for h in chosen:
            if h.unit.prov.article is None or r.is_penalty[r.zh_index[h.unit.prov.id]]:
                continue
            ref = _cn(h.unit.prov.article)
            pat = re.compile(rf"第{ref}条(?![{CN_NUM}])")
            for i, u in enumerate(r.zh_units):
                if u.doc.id != h.unit.doc.id or not r.is_penalty[i] or u.prov.id in have:
                    continue
                if pat.search(u.prov.text) and re.search(r"违反", u.prov.text):
                    have.add(u.prov.id)
                    out.append(Hit(u, 0.0, {"graph": 1.0}, u.prov))
        return out[:2]

    def _version_notes(self, qa: QueryAnalysis, hits: list[Hit]) -> list[str]:
        r = self.retriever
        en = qa.lang == "en"
        notes = []
        seen = set()
        for h in hits:
            d = h.unit.doc
            year = d.version_year
            others = [o for o in r.docs.values() if o.instrument == d.instrument and o.id != d.id and o.lang == "zh"]
            key = (d.id, h.unit.prov.article)
            if key in seen:
                continue
            seen.add(key)
            status = "current" if d.current else "superseded"
            if not others:
                continue
            for o in others:
                old = r.by_id.get(o.id + h.unit.prov.id[len(d.id):])
                same = old is not None and _same(old.text, h.unit.prov.text)
                oy = o.version_year
                if en:
                    notes.append(f"Relies on {d.title} ({year} version, {status}); the {oy} version "
                                 f"({'current' if o.current else 'superseded'}) "
                                 + ("has the same text in this article." if same else
                                    "differs in this article: check which version applies to the facts."))
                else:
                    notes.append(f"本回答依据《{d.title}》{year}年版（{'现行' if d.current else '已被修订'}）；"
                                 f"{oy}年版（{'现行' if o.current else '已被修订'}）"
                                 + ("该条文字相同。" if same else "该条文字不同，请核对事实发生时适用的版本。"))
        return notes

    def _missing_instrument_notes(self, qa: QueryAnalysis) -> list[str]:
        """Registered instruments whose text is not loaded but which the question likely turns on."""
        from .text import _load

        r = self.retriever
        loaded = {d.instrument for d in r.docs.values()} | {d.id for d in r.docs.values()}
        out = []
        text = qa.text.lower()
        for key, ins in ((_load("registry.yaml").get("instruments")) or {}).items():
            vids = [v.get("id") for v in ins.get("versions") or []]
            if key in loaded or any(v in loaded for v in vids):
                continue
            names = [ins.get("short_title") or ""] + list(ins.get("aliases") or [])
            topics = [t for t in ins.get("topics") or [] if len(str(t)) >= 3]
            named = any(n and n.lower() in text for n in names)
            topical = sum(1 for t in topics if str(t).lower() in text)
            if named or topical >= 1 and any(str(t).lower() in text for t in topics[:4]):
                title = ins.get("title") or key
                out.append(f"The question may turn on {title}, whose text is not loaded; this answer does not take it into account."
                           if qa.lang == "en" else f"问题可能涉及《{title}》，其文本未收录，本回答未考虑该文件。")
        return out[:3]

    # ------------------------------------------------------------------------------------------------ abstain
    def _abstain(self, question: str, qa: QueryAnalysis, hits: list[Hit], why: str) -> AskResponse:
        en = qa.lang == "en"
        if why == "out of scope":
            msg = ("This question is outside YiGui's scope (Chinese medical-AI, health, data and device regulation); "
                   "no clause is cited. The nearest clauses are listed as possibly related." if en else
                   "该问题不在医规的收录范围内（医疗人工智能、医疗卫生、数据与器械监管），不作回答、不引用条文；"
                   "最接近的条文列于下方，仅供参考。")
        else:
            msg = ("No clause in the loaded texts answers this question closely enough, so no answer is given. "
                   "The nearest clauses are listed as possibly related." if en else
                   "已收录的条文中没有足够相关的规定，无法给出有依据的回答；最接近的条文列于下方，仅供参考。")
        related = [self.retriever.to_result(h) for h in hits[:3]]
        return AskResponse(question=question, answer=msg, abstained=True, citations=[], took_ms=0.0,
                           possibly_related=related, notes=[f"abstained: {why}"])


def _cn(n: int) -> str:
    from ingest.citation import int_to_cn

    return int_to_cn(n)


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)


def _dedupe(cites: list[Citation]) -> list[Citation]:
    seen, out = set(), []
    for c in cites:
        if c.provision_id not in seen:
            seen.add(c.provision_id)
            out.append(c)
    return out
