"""Rule-based obligation extraction over parsed provisions.

Units: each paragraph without items; a paragraph's lead-in and each of its 项 items (one obligation per item, with
the lead-in's actor and modality and the item's own pinpoint citation); each guideline section's body. Units are
split into sentences (。；！？) and sentences into clauses (one modal cue each). For every clause: modality from the
cue, subject = the actor/regulator mention nearest the cue at a clause-chunk start (coordination expanded), else
an anaphor (其, 前款规定的…) or nothing resolved to the actor carried over from the lead-in / previous sentence of
the same article, else the document's default actor (rules.yaml). Regulators' duties are flagged apart.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field

from corpus import taxonomy
from graph.obligations.model import ExtractionResult, Obligation, StageLabel, Term
from graph.obligations.nlp import build_nlp, rules
from graph.obligations.requirement import build_requirements
from graph.obligations.stages import StageScorer
from ingest.numerals import CN_LABEL_NUM, CN_ONE_TO_TEN, CN_OR_ARABIC_LABEL_NUM
from spacy.tokens import Span

SENT_END = re.compile(r"(?<=[。；！？;])")
ITEM_LABEL = re.compile(rf"^\s*[（(][{CN_ONE_TO_TEN}百]+[）)]\s*")  # （一）…（一百）
SECTION_LABEL = re.compile(rf"^\s*(?:{CN_LABEL_NUM}、|[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]|\d+[\.．、])\s*")
DEFINITION = re.compile(
    r"(?:本(?:法|条例|办法|规定|解释|指导原则|标准)(?:中)?所称(?:的)?)?[“\"]?(?P<term>[^，。；：“”\"（）()]{2,30}?)[”\"]?"
    r"(?:（[^）]*）)?，?(?:是指|指的是|，指(?![导挥定出示明派引]))(?P<def>[^。；]{4,300})")
# "X是……的Y" where Y is X's genus (敏感个人信息是一旦泄露……的个人信息; 个人信息是以电子……记录的……各种信息): a definition
# by genus and difference, kept only when the genus ends the way the term does (its last two characters)
GENUS_DEFINITION = re.compile(r"^(?P<term>[\u4e00-\u9fa5]{2,12})是(?P<def>[^。；]{4,200}?的(?:各种|各类)?(?P<genus>[\u4e00-\u9fa5]{2,8}))[，。；]")
ACTOR_HEAD = re.compile(r"(者|人|方|单位|机构|企业|部门)$")
# a lead-in that requires one thing with listed contents (应当包括下列内容, 载明下列事项, 提交下列资料, 具备下列条件) or
# that lists the cases a duty applies in (有下列情形之一的，…应当…): its items are the duty's elements, not duties of
# their own; a lead-in announcing duties (应当履行下列义务, 不得有下列行为, 采取下列措施) keeps one duty per item
ELEMENT_LEADIN = re.compile(r"(?:下列|以下|下述)(?:[^，。；：]{0,8}?)(?:内容|事项|信息|资料|材料|文件|条件|要素|项目|说明|原则)"
                            r"[^，。；]{0,10}[：:]?$|(?:包括|载明|注明|列明)[：:]$")
# the State as the subject (中华人民共和国可以…对等采取措施, 国家应当…): a duty or power of the State, never of the party
# the instrument otherwise speaks to
STATE_SUBJECT = re.compile(r"(?:^|[，,；;])\s*(?:中华人民共和国|国家)(?:依法|也|还|应当)?\s*$")
# what a party "may" do that is a claim on someone else (可以请求赔偿, 可以申请复评, 可以投诉, 可以向人民法院起诉)
CLAIM = re.compile(r"^(?:依法)?[^，。；]{0,30}?(?:请求|要求[^，。；]{0,4}(?:赔偿|更正|删除|说明|解释|补充)|投诉|举报|控告|起诉|"
                   r"提起诉讼|申诉|提出异议|申请(?:复评|复核|复议|行政复议|听证|赔偿|鉴定|调解|仲裁|再审))")
CASES_LEADIN = re.compile(r"(?:有|具有|出现|存在|发生|属于|符合|满足)(?:下列|以下|下述)(?:[^，。；]{0,6})?(?:情形|情况|行为|条件)"
                          r"(?:之一)?")
ABBREVIATION = re.compile(r"(?P<full>[\u4e00-\u9fa5、]{2,40})（以下(?:简)?称“?(?P<abbr>[^”）]{1,15})”?）")


def _verbs() -> set[str]:
    """Action verbs the glossary knows (names and Chinese aliases of its `verb` entries, plus common legal verbs)."""
    out = {"取得", "办理", "查验", "落实", "设立", "配备", "承担", "协助", "遵守", "执行", "组织", "实施", "具备", "符合",
           "保护", "加强", "接受", "公示", "披露", "核实", "审查", "检查", "监督", "管理", "标注", "召回", "删除", "停止"}
    for t in taxonomy.glossary().terms:
        if t.get("cat") in ("verb", "verb-common"):
            out.add(t["zh"])
            out.update((t.get("aliases") or {}).get("zh") or [])
    return out


@dataclass
class Unit:
    """A piece of a provision that is analysed as a whole."""

    provision: object  # ingest.model.Provision
    text: str
    role: str  # para | leadin | item | section
    article_key: str  # carry-over scope (article or section id)
    heading: str = ""


@dataclass
class Clause:
    unit: Unit
    text: str
    start: int  # char offset in the sentence doc
    end: int
    cue: object | None  # Span
    doc: object  # the sentence Doc
    sent_index: int


@dataclass
class _State:
    actors: list[str] = field(default_factory=list)
    actor_text: str | None = None
    regulator: bool = False
    regulators: list[str] = field(default_factory=list)


def _children(pd) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in pd.provisions:
        if p.parent_id:
            out.setdefault(p.parent_id, []).append(p)
    return out


def units_of(pd) -> list[Unit]:
    """The analysable units of one parsed document, in document order."""
    kids = _children(pd)
    out: list[Unit] = []
    for p in pd.provisions:
        heading = " ".join(p.path or [])
        if p.kind == "article":
            if not any(c.kind == "paragraph" for c in kids.get(p.id, [])):
                out.append(Unit(p, p.text, "para", p.id, heading))
        elif p.kind == "paragraph":
            art = p.parent_id or p.id
            items = [c for c in kids.get(p.id, []) if c.kind == "item"]
            if not items:
                out.append(Unit(p, p.text, "para", art, heading))
                continue
            lines = p.text.split("\n")
            lead = []
            for ln in lines:
                if ITEM_LABEL.match(ln):
                    break
                lead.append(ln)
            out.append(Unit(p, "\n".join(lead), "leadin", art, heading))
            for it in items:
                out.append(Unit(it, ITEM_LABEL.sub("", it.text, count=1), "item", art, heading))
            tail = []
            seen_item = False
            for ln in lines:  # text after the last item (e.g. a closing sentence) belongs to the paragraph
                if ITEM_LABEL.match(ln):
                    seen_item, tail = True, []
                elif seen_item:
                    tail.append(ln)
            if len(tail) > 0 and any(t.strip() for t in tail[1:]):
                out.append(Unit(p, "\n".join(tail[1:]), "para", art, heading))
        elif p.kind in ("section", "preamble", "annex"):
            text = p.text
            first, _, rest = text.partition("\n")
            if p.heading and p.heading in first and len(first) <= len(p.heading) + 12:
                text = rest
            else:
                text = SECTION_LABEL.sub("", text, count=1)
            heading = " ".join([*(p.path or []), p.heading or ""])
            if text.strip():
                out.append(Unit(p, text, "section", p.id, heading))
    return out


def _sentences(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        for s in SENT_END.split(line):
            s = s.strip()
            if s:
                out.append(s)
    return out


class Extractor:
    """Holds the configured pipeline and the rule settings; `run(parsed_docs)` is the whole extraction."""

    def __init__(self):
        self.nlp = build_nlp()
        self.cfg = rules()
        self.actors = taxonomy.actors()
        self.regs = taxonomy.regulators()
        self.cond_res = [re.compile(c) for c in self.cfg["conditions"]]
        self.non_norm = [re.compile(c) for c in self.cfg["non_normative"]]
        self.anaphora = sorted(self.cfg["anaphora"], key=len, reverse=True)
        self.conj = set(self.cfg["conjunctions"])
        self.fillers = sorted(self.cfg["between_subject_and_modal"], key=len, reverse=True)
        self.weak = set(self.cfg["modality"].get("weak") or [])
        self.stage_scorer = StageScorer(self.cfg["stages"])
        from graph.obligations import stage_model

        self.stage_model = stage_model.load()  # the trained stage classifier (its keyword evidence is one feature)
        self.adjectival = tuple(self.cfg.get("adjectival_next") or [])
        self.exception_endings = tuple(self.cfg.get("exception_endings") or [])
        self.preps = sorted(self.cfg.get("prepositions") or [], key=len, reverse=True)
        self.activity = [(re.compile(rx), ids) for rx, ids in self.cfg.get("activity_actor") or []]
        self.impersonal = dict(self.cfg.get("impersonal") or {})
        imp = self.cfg.get("imperative") or {}
        self.label_prefix = re.compile(imp["label_prefix"]) if imp.get("label_prefix") else None

    # ---------------------------------------------------------------- helpers
    def _dominant_actors(self, sents, docs) -> tuple[dict[str, str], str | None]:
        """The party a document (and each of its chapters) speaks to: the regulated actor that most often opens a
        normative sentence as its subject. A subject-less duty with nothing to carry over is that party's — read
        from the text itself, so a user's own instrument gets the same treatment as the corpus."""
        from collections import Counter

        by_chapter: dict[str, Counter] = {}
        whole: Counter = Counter()
        for (unit, _si, _s), doc in zip(sents, docs):
            # only duties count: the party a text obliges (侵权人应当承担…), not the one it gives rights (被侵权人有权…)
            if not any(c.label_ in ("obligation", "prohibition") for c in doc.spans["modal"]):
                continue
            ents = [e for e in doc.ents if e.label_ == "ACTOR"]
            if not ents or ents[0].start_char != 0:
                continue
            group = [ents[0]]  # the coordinated subject: 医疗器械注册人或者备案人 is both
            for e in ents[1:]:
                if doc.text[group[-1].end_char:e.start_char].strip() in self.conj:
                    group.append(e)
                else:
                    break
            key = tuple(sorted(set(self._bind([e.ent_id_ for e in group]))))
            path = tuple(getattr(unit.provision, "path", None) or ())
            for k in range(1, len(path) + 1):  # every heading level: 编 > 章 > 节
                by_chapter.setdefault(path[:k], Counter())[key] += 1
            whole[key] += 1
        top = lambda c: c.most_common(1)[0][0] if c and c.most_common(1)[0][1] >= 2 else None  # noqa: E731
        return {ch: a for ch, c in by_chapter.items() if (a := top(c))}, top(whole)

    def _default_actor(self, unit) -> list[str]:
        """The dominant party of the narrowest heading above the unit that has one, else of the document."""
        path = tuple(getattr(unit.provision, "path", None) or ())
        for k in range(len(path), 0, -1):
            if path[:k] in self._chapter_actor:
                return list(self._chapter_actor[path[:k]])
        return list(self._doc_actor or ())

    def _bind(self, ids: list[str]) -> list[str]:
        out: list[str] = []
        for i in ids:
            for b in self.actors[i].get("binds") or [i]:
                if b not in out:
                    out.append(b)
        return out

    def _is_condition(self, chunk: str) -> bool:
        return any(r.search(chunk) for r in self.cond_res)

    def _clauses(self, unit: Unit, doc, sent_index: int) -> list[Clause]:
        cues = list(doc.spans["modal"])
        strong = [c for c in cues if c.text not in self.weak]
        if strong:
            cues = strong
        # a cue inside a condition chunk (…应当取得同意的，) is not the clause's modal when a later cue exists
        text = doc.text
        kept = []
        for i, c in enumerate(cues):
            chunk_end = min([text.find(p, c.end_char) for p in "，,；;" if text.find(p, c.end_char) >= 0] or [len(text)])
            chunk = text[c.end_char:chunk_end].rstrip("。")
            if chunk.endswith("的") and (i + 1 < len(cues) or c.text in self.weak):
                continue  # a cue inside a condition (…需要进行鉴定的，) is not the clause's modal
            if self.adjectival and text[c.end_char:c.end_char + 1] in self.adjectival:
                continue
            if c.label_ == "permission" and text[c.end_char:c.end_char + 1] in ("）", ")", "。", "；", "，", ""):
                continue  # …即可） / …亦可。: "suffices", not a permission
            if self.exception_endings and chunk.endswith(self.exception_endings):
                continue
            if "负责" == c.text and ("直接负责" in text[max(0, c.start_char - 2):c.end_char] or "负责人" in text[c.start_char:c.end_char + 1]):
                continue
            kept.append(c)
        cues = kept
        if not cues:
            return []
        clauses = []
        prev_end = 0
        for i, c in enumerate(cues):
            if i + 1 < len(cues):
                nxt = cues[i + 1]
                between = text[c.end_char:nxt.start_char]
                cut = max(between.rfind("，"), between.rfind("；"), between.rfind(","))
                # the chunks just before the next cue that read as its condition or exception (…，但是有前款…情形的，
                # 不需取得个人同意) belong to the next clause: cut before them, so no clause loses its condition
                while cut > 0:
                    prev = max(between.rfind("，", 0, cut), between.rfind("；", 0, cut), between.rfind(",", 0, cut))
                    if prev < 0:
                        break
                    chunk = between[prev + 1:cut].strip()
                    if chunk and (chunk.startswith(("但是", "但", "除")) or self._is_condition(chunk)) and \
                            between[prev] != "；":
                        cut = prev
                    else:
                        break
                end = c.end_char + cut + 1 if cut >= 0 else None
                if end is None:  # two cues in one chunk (应当并且不得…): keep together
                    continue
            else:
                end = len(text)
            clauses.append(Clause(unit, text[prev_end:end], prev_end, end, c, doc, sent_index))
            prev_end = end
        return clauses

    def _subject(self, clause: Clause):
        """(actor ids, regulator ids, subject text, via) for the clause, or None when no mention precedes the cue."""
        doc, cue = clause.doc, clause.cue
        pre_start, pre_end = clause.start, cue.start_char
        ents = [e for e in doc.ents if e.start_char >= pre_start and e.end_char <= pre_end]
        if not ents:
            return None
        text = doc.text

        def chunk_initial(e) -> bool:
            before = text[pre_start:e.start_char].rstrip()
            return before == "" or before[-1] in "，,；;：" or before.endswith(tuple(self.anaphora))

        def adjacent_to_cue(e) -> bool:
            between = text[e.end_char:pre_end]
            for f in self.fillers:
                between = between.replace(f, "")
            return between.strip() == ""

        preps = set(self.preps)

        def in_prep_phrase(e) -> bool:
            """The entity follows a preposition token (按照/向/对/会同…) in its chunk: not the subject."""
            chunk_start = max(max(text.rfind(p, pre_start, e.start_char) for p in "，,；;："), pre_start - 1)
            return any(t.text in preps for t in doc[:e.start] if t.idx > chunk_start)

        ents = [e for e in ents if not in_prep_phrase(e)]
        cands = [e for e in ents if chunk_initial(e) or adjacent_to_cue(e)]
        if not cands:
            return None
        head = cands[-1]
        group = [head]
        idx = ents.index(head)
        j = idx - 1
        while j >= 0:  # coordination to the left: 生产者、销售者
            gap = text[ents[j].end_char:group[0].start_char].strip()
            if gap in self.conj:
                group.insert(0, ents[j])
                j -= 1
            else:
                break
        j = idx + 1
        while j < len(ents):  # and to the right: 经营企业、使用单位
            gap = text[group[-1].end_char:ents[j].start_char].strip()
            if gap in self.conj:
                group.append(ents[j])
                j += 1
            else:
                break
        actors = [e.ent_id_ for e in group if e.label_ == "ACTOR"]
        regs = [e.ent_id_ for e in group if e.label_ == "REGULATOR"]
        subj_text = text[group[0].start_char:group[-1].end_char]
        confidence = 0.85 if (chunk_initial(head) or adjacent_to_cue(head)) else 0.6
        return actors, regs, subj_text, confidence

    def _implied(self, clause: Clause) -> list[str] | None:
        """Subject implied by the activity a subject-less clause opens with, or by an impersonal cue (禁止…)."""
        pre = clause.doc.text[clause.start:clause.cue.start_char]
        for chunk in [c.strip() for c in re.split(r"[，,；;]", pre) if c.strip()] or [""]:
            for rx, ids in self.activity:
                if rx.search(chunk):
                    return list(ids)
        if not pre.strip("，,；; ") and clause.cue.text in self.impersonal:
            return [self.impersonal[clause.cue.text]]
        return None

    def _condition(self, clause: Clause, subj_end: int | None) -> str | None:
        """Trigger or condition before the modal cue: the comma-chunks that read as conditions (…的, 在…前, 发生…时,
        达到…数量的), with the subject itself left out."""
        doc, cue = clause.doc, clause.cue
        start = clause.start
        pre = doc.text[start:cue.start_char]
        if subj_end is not None and start <= subj_end <= cue.start_char:
            before = doc.text[start:subj_end]
            cut = max(before.rfind("，"), before.rfind(","))
            # drop the subject (and what precedes it in its chunk): 个人信息处理者向境外提供…的 -> 向境外提供…的
            pre = doc.text[start:start + cut + 1] + doc.text[subj_end:cue.start_char]
        raw = [c.strip() for c in re.split(r"[，,]", pre)]
        chunks = [c for c in raw if c]
        if raw and not raw[-1]:
            chunks.append("")  # the cue opens its own chunk (…的，应当…): every earlier chunk may be a condition
        elif chunks and chunks[-1].endswith("的") and len(chunks[-1]) > 2:
            chunks.append("")  # 个人信息处理者处理敏感个人信息的应当… (rare, no comma)
        # a condition may span several comma-chunks (…产品，其设计…发生实质性变化，有可能影响…的，): everything up to
        # the last chunk that reads as a condition
        last_cond = max((i for i, c in enumerate(chunks[:-1]) if self._is_condition(c)), default=-1)
        return "，".join(chunks[: last_cond + 1]) if last_cond >= 0 else None

    def _action_object(self, clause: Clause) -> tuple[str, str]:
        doc, cue = clause.doc, clause.cue
        toks = [t for t in doc[cue.end:] if t.idx < clause.end]
        skip = {"依法", "及时", "立即", "如实", "主动", "严格", "按照", "依照", "按", "向", "对", "在", "于", "自", "将",
                "与", "同", "为", "经", "由", "通过", "采用", "遵守"}
        verbs = _verbs()
        action_i = None
        for i, t in enumerate(toks):
            if t.text in verbs:
                action_i = i
                break
        if action_i is None:
            g = taxonomy.glossary()
            nouns = {e.start for e in doc.ents}
            for i, t in enumerate(toks):
                if t.text in skip or t.is_punct:
                    continue
                if t.i in nouns or g.en(t.text):  # an actor or a glossary noun is not the action
                    break
                action_i = i
                break
        if action_i is None:
            return "", ""
        if cue.text in ("负责", "享有"):  # cues that are verbs themselves
            action_i, toks = 0, [cue[0]] + toks
        action = toks[action_i].text
        rest = doc.text[toks[action_i].idx + len(action):clause.end]
        obj = re.split(r"[，。；：,;]", rest, maxsplit=1)[0].strip()
        return action, obj[:60]

    # ---------------------------------------------------------------- main
    def run(self, parsed_docs) -> ExtractionResult:
        t0 = time.perf_counter()
        result = ExtractionResult()
        for pd in parsed_docs:
            if pd.document.lang != "zh":
                continue
            result.terms.extend(self.terms(pd))
            result.obligations.extend(self.obligations(pd))
        result.seconds = round(time.perf_counter() - t0, 3)
        return result

    def doc_aliases(self, pd, terms: list[Term]) -> dict[str, tuple[str, str]]:
        """Names a document defines for an actor or regulator: its defined terms (本法所称X，是指…) and its
        abbreviations (…服务提供者（以下称提供者）). name -> (label, id); used to recognise subjects in that document."""
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
                    aid, rid = self.actors.lookup(tail), self.regs.lookup(tail)
                    if aid or rid:
                        out[abbr] = ("ACTOR", aid) if aid else ("REGULATOR", rid)
                        break
        return out

    def _head_actor(self, definition: str) -> str | None:
        """The actor a definition names as its head noun (研发方，是指…软件开发者 -> ai-md-developer)."""
        head = re.split(r"[，。；]", definition, maxsplit=1)[0]
        for size in range(min(len(head), 30), 1, -1):
            aid = self.actors.lookup(head[-size:])
            if aid:
                return aid
        return None

    def _add_doc_aliases(self, doc, aliases: dict[str, tuple[str, str]]) -> None:
        if not aliases:
            return
        ents = list(doc.ents)
        taken = {i for e in ents for i in range(e.start, e.end)}
        for name, (label, eid) in aliases.items():
            start = doc.text.find(name)
            while start >= 0:
                sp = doc.char_span(start, start + len(name), alignment_mode="expand")
                if sp is not None and not any(i in taken for i in range(sp.start, sp.end)):
                    ents.append(Span(doc, sp.start, sp.end, label=label, span_id=eid))
                    taken.update(range(sp.start, sp.end))
                start = doc.text.find(name, start + 1)
        doc.ents = sorted(ents, key=lambda e: e.start)

    def terms(self, pd) -> list[Term]:
        out: dict[str, Term] = {}
        for p in pd.provisions:
            if p.kind not in ("paragraph", "item", "section") and not (p.kind == "article" and "\n" not in p.text):
                continue
            body = ITEM_LABEL.sub("", p.text, count=1)
            if p.kind == "paragraph" and any(ITEM_LABEL.match(x) for x in p.text.split("\n")[1:]):
                body = p.text.split("\n")[0]
            for s in _sentences(body):
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
                                doc_id=pd.document.id, actor=self.actors.lookup(term) or self._head_actor(definition))
        return list(out.values())

    def obligations(self, pd) -> list[Obligation]:
        self._title = pd.document.title
        self._level = pd.document.level
        self._heading: dict[str, str] = {}
        self._evidence: dict[str, dict] = {}  # obligation id -> keyword stage evidence (a stage-model feature)
        out = self._obligations(pd)
        self._label_stages(out)  # each clause on its own: a merged duty keeps its first clause's labels
        out = merge_same_duty(out)
        assign_keys(out, pd.document.instrument or pd.document.id)
        return out

    def _label_stages(self, obs: list[Obligation]) -> None:
        """Stages by the trained classifier (graph.obligations.stage_model): the clause, its headings, the
        instrument's title, its bearers and modality, and the keyword evidence gathered while it was extracted."""
        from graph.obligations.stage_model import StageInput

        rows = [StageInput(text=ob.text, heading=self._heading.get(ob.id, ""), title=self._title,
                           actors=tuple(ob.actors) + tuple(f"reg:{r}" for r in ob.regulators),
                           modality=ob.modality, regulator=ob.regulator_duty, level=self._level,
                           rule=self.stage_scorer.totals(self._evidence.get(ob.id, {}))) for ob in obs]
        for ob, labels in zip(obs, self.stage_model.labels(rows) if rows else []):
            ob.stages = [StageLabel(id=i, confidence=c) for i, c in labels]
        self._evidence.clear()

    def _obligations(self, pd) -> list[Obligation]:
        level = pd.document.level
        imperative = self.cfg.get("imperative") or {}
        imp_on = level in (imperative.get("levels") or [])
        imp_starts = tuple(imperative.get("starts") or [])
        skip_headings = tuple(self.cfg.get("skip_headings") or [])
        skip_re = re.compile(r"^第[^章]+章\s*(?:%s)\s*$" % "|".join(map(re.escape, skip_headings))) if skip_headings else None
        units = [u for u in units_of(pd)
                 if not (skip_re and any(skip_re.match(h) for h in (getattr(u.provision, "path", None) or [])))]
        sents: list[tuple[Unit, int, str]] = []
        for u in units:
            for i, s in enumerate(_sentences(u.text)):
                sents.append((u, i, s))
        docs = list(self.nlp.pipe((s for _, _, s in sents), batch_size=256))
        aliases = self.doc_aliases(pd, self.terms(pd))
        for d in docs:
            self._add_doc_aliases(d, aliases)
        self._chapter_actor, self._doc_actor = self._dominant_actors(sents, docs)
        out: list[Obligation] = []
        counters: dict[str, int] = {}
        state: dict[str, _State] = {}
        leadin: dict[str, tuple[Obligation | None, _State]] = {}  # paragraph id -> lead-in obligation/state
        for (unit, si, s), doc in zip(sents, docs):
            st = state.setdefault(unit.article_key, _State())
            inherited = leadin.get(unit.provision.parent_id) if unit.role == "item" else None
            if inherited is not None and inherited[0] is None:
                continue  # an item of a descriptive or sanction list (…包括：, 有下列情形之一的，由…处罚：)
            if inherited is not None and inherited[0] == "open":
                # a lead-in without a modal (…根据下列情况分别作出是否受理的决定：): an item is a duty only by its own
                # cue, its bearer the lead-in's
                inherited = (None, inherited[1]) if doc.spans["modal"] else None
                if inherited is None:
                    continue
            if inherited is not None and inherited[0] == "elements":
                for owner in inherited[1]:  # the item is a required element (or a case) of the lead-in's duties
                    if si == 0:
                        owner.elements.append(re.sub(r"\s+", "", unit.text).rstrip("；;。"))
                        owner.element_ids.append(unit.provision.id)
                    elif owner.elements:
                        owner.elements[-1] += s
                continue
            if any(r.search(s) for r in self.non_norm):
                if unit.role == "leadin" and s.rstrip().endswith(("：", ":")):
                    leadin[unit.provision.id] = (None, _State())
                continue
            clauses = self._clauses(unit, doc, si)
            if not clauses:
                self._carry_from(doc, st)
            if not clauses and inherited and inherited[0] is not None:
                # an item without its own cue takes the lead-in's modality and actor
                out.append(self._from_leadin(unit, doc, s, inherited, counters))
                continue
            alloc = self._allocation(doc) if not clauses and not inherited else None
            if alloc is not None:
                # 封存的现场实物由医疗机构保管；具体办法由国务院卫生健康主管部门制定: a duty allocated with 由, no modal
                actors, regs, subj_text = alloc
                ob = self._new(unit, counters, "obligation", s)
                ob.actors, ob.regulators = (self._bind(actors), []) if actors else ([], regs)
                ob.regulator_duty = not actors and bool(regs)
                ob.actor_text, ob.predicate, ob.confidence = subj_text, s, 0.6
                st.actors, st.regulators, st.regulator, st.actor_text = list(ob.actors), list(regs), ob.regulator_duty, subj_text
                self._finish(ob, unit, doc)
                out.append(ob)
                continue
            s_imp = self.label_prefix.sub("", s) if self.label_prefix else s
            if not clauses and imp_on and s_imp.startswith(imp_starts):
                s = s_imp
                ob = self._new(unit, counters, "obligation", s)
                ob.actors = [imperative["actor"]]
                ob.actor_text = None
                ob.action = s[:2]
                ob.object = re.split(r"[，。；：]", s[2:], maxsplit=1)[0][:60]
                ob.predicate = s
                ob.confidence = 0.5
                self._finish(ob, unit, doc)
                out.append(ob)
                continue
            for cl in clauses:
                modality = cl.cue.label_
                if modality == "permission" and level == "technical_guideline":
                    continue  # a guideline's 可/可以 offers a way of doing it, not a liberty a register lists
                subj = self._subject(cl)
                if subj is None and STATE_SUBJECT.search(cl.doc.text[cl.start:cl.cue.start_char]):
                    subj = ([], ["government"], cl.doc.text[cl.start:cl.cue.start_char].strip("，,；; ")[-7:], 0.8)
                conf = 0.8
                implied = None if subj is not None else self._implied(cl)
                if implied:
                    subj = (implied, [], None, 0.7)
                if subj is not None and (subj[0] or subj[1]):
                    actors, regs, subj_text, conf = subj
                    st.actors, st.regulators = self._bind(actors), regs
                    st.actor_text = subj_text or "、".join(self.actors[a]["zh"] for a in actors)
                    st.regulator = bool(regs) and not actors
                elif inherited and inherited[1].actors + inherited[1].regulators:
                    src = inherited[1]
                    st.actors, st.regulators, st.actor_text, st.regulator = (list(src.actors), list(src.regulators),
                                                                             src.actor_text, src.regulator)
                    conf = 0.75
                elif st.actors or st.regulators:
                    conf = 0.7  # carried over from the previous sentence / lead-in (其, 前款规定的…, omitted subject)
                else:
                    st.actors, st.regulators, st.regulator = self._bind(self._default_actor(unit)), [], False
                    st.actor_text = None
                    conf = 0.55
                ob = self._new(unit, counters, modality, cl.text)
                ob.actors = list(st.actors) if not st.regulator else []
                ob.regulators = list(st.regulators)
                ob.regulator_duty = st.regulator
                ob.actor_text = st.actor_text
                ob.action, ob.object = self._action_object(cl)
                ob.predicate = doc.text[cl.cue.end_char:cl.end] if cl.cue.text not in ("负责", "享有") else \
                    doc.text[cl.cue.start_char:cl.end]
                subj_end = None
                if subj is not None and subj[2]:
                    subj_end = cl.start + cl.text.find(subj[2]) + len(subj[2]) if subj[2] in cl.text else None
                ob.condition = self._condition(cl, subj_end)
                if modality == "permission" and ob.actors and all(a in ("individual", "patient", "consumer", "injured-party", "near-relatives") for a in ob.actors) and "有权" in cl.text:
                    ob.modality = "right"
                if modality == "permission" and not st.regulator and CLAIM.match(doc.text[cl.cue.end_char:cl.end]):
                    ob.modality = "right"  # 可以请求/申请/投诉/起诉…: a claim against someone else is a right
                if ob.regulator_duty and ob.modality in ("right", "permission"):
                    ob.modality = "power"  # a regulator's 有权/可以 is a power it holds, not a right or a liberty
                ob.confidence = conf
                self._finish(ob, unit, doc, span=(cl.start, cl.end))
                out.append(ob)
            if unit.role == "leadin" and clauses and s.rstrip().endswith(("：", ":")) and out and \
                    out[-1].provision_id == unit.provision.id and \
                    (ELEMENT_LEADIN.search(s.rstrip()) or CASES_LEADIN.search(unit.text)):
                # the items are the contents of this duty, or the cases in which the lead-in's duties apply (有下列
                # 情形之一的，…应当…；…可以…：): they become the elements of every duty the lead-in states
                owners = [o for o in out if o.provision_id == unit.provision.id] if CASES_LEADIN.search(unit.text) \
                    else [out[-1]]
                for o in owners:
                    if CASES_LEADIN.search(unit.text) and not o.condition:
                        o.condition = CASES_LEADIN.search(unit.text).group(0)
                leadin[unit.provision.id] = ("elements", owners)
            elif unit.role == "leadin" and clauses and s.rstrip().endswith(("：", ":")):
                # the lead-in announces items: its duty is expressed by the items, not by itself
                lead_ob = out.pop() if out and out[-1].provision_id == unit.provision.id else None
                if lead_ob is not None:
                    counters[unit.provision.id] -= 1
                leadin[unit.provision.id] = (lead_ob, _State(list(st.actors), st.actor_text, st.regulator, list(st.regulators)))
            elif unit.role == "leadin" and s.rstrip().endswith(("：", ":")):
                # a cue-less lead-in: items listing contents (重点评估以下事项：) are no duties; others (…分别作出
                # 是否受理的决定：) may state their own
                kind = None if ELEMENT_LEADIN.search(s.rstrip()) else "open"
                leadin[unit.provision.id] = (kind, _State(list(st.actors), st.actor_text, st.regulator, list(st.regulators)))
        return out

    def _allocation(self, doc):
        """(actor ids, regulator ids, subject text) when a sentence without a modal allocates a duty with 由 + a named
        party + a verb (…由医疗机构保管, 具体办法由…主管部门制定, 由其代理人向…提交); None otherwise. Conditions
        (…的) and 由于 are not allocations; sanctions never reach here (non_normative)."""
        text = doc.text
        for e in doc.ents:
            i = e.start_char
            if i == 0 or text[i - 1] != "由" or text[i - 2:i] == "理由":
                continue
            group = [e]
            for nxt in doc.ents:
                if nxt.start_char > group[-1].end_char and text[group[-1].end_char:nxt.start_char].strip() in self.conj:
                    group.append(nxt)
            after = text[group[-1].end_char:group[-1].end_char + 3]
            after = re.sub(r"^(?:负责|依法|统一|共同|按照|依照)", "", after)
            chunk_end = min([text.find(p, i) for p in "，。；" if text.find(p, i) >= 0] or [len(text)])
            if not after or after[0] in "的，。；、和及或" or text[i:chunk_end].endswith("的"):
                continue
            actors = [g.ent_id_ for g in group if g.label_ == "ACTOR"]
            regs = [g.ent_id_ for g in group if g.label_ == "REGULATOR"]
            return actors, regs, text[group[0].start_char:group[-1].end_char]
        return None

    def _carry_from(self, doc, st: _State) -> None:
        """A sentence without a modal cue that opens with an actor still sets who the next sentences speak of."""
        ents = [e for e in doc.ents if e.start_char == 0]
        if ents:
            e = ents[0]
            if e.label_ == "ACTOR":
                st.actors, st.regulators, st.regulator = self._bind([e.ent_id_]), [], False
            else:
                st.actors, st.regulators, st.regulator = [], [e.ent_id_], True
            st.actor_text = e.text

    def _new(self, unit: Unit, counters: dict, modality: str, text: str) -> Obligation:
        p = unit.provision
        n = counters.get(p.id, 0) + 1
        counters[p.id] = n
        return Obligation(id=f"{p.id}#o{n}", provision_id=p.id, doc_id=p.doc_id, citation=p.citation,
                          modality=modality, position=p.order * 1000 + n, text=text.strip(), extractor=self.cfg.get("extractor", "rules-v1"))

    def _from_leadin(self, unit: Unit, doc, s: str, inherited, counters) -> Obligation:
        lead, st = inherited
        ob = self._new(unit, counters, lead.modality, s)
        ob.actors = list(lead.actors)
        ob.regulators = list(lead.regulators)
        ob.regulator_duty = lead.regulator_duty
        ob.actor_text = lead.actor_text
        ob.condition = lead.condition
        toks = [t for t in doc if not t.is_punct]
        verbs = _verbs()
        act = next((t for t in toks if t.text in verbs), toks[0] if toks else None)
        if act is not None:
            ob.action = act.text
            ob.object = re.split(r"[，。；：,;]", s[act.idx + len(act.text):], maxsplit=1)[0].strip()[:60]
        ob.confidence = round(min(lead.confidence, 0.9), 2)
        starts_with_verb = act is not None and act.i == (toks[0].i if toks else -1) and act.text in verbs
        lead_pred = (lead.predicate or "").rstrip("：:")
        item = s.rstrip("；;。")
        if lead_pred and "下列" not in lead_pred and "以下" not in lead_pred:
            ob.predicate = f"{lead_pred}（{item}）"  # the items are conditions/cases of the lead-in's duty
        else:
            ob.predicate = s if starts_with_verb or not lead.action else f"{lead.action}{s}"
        ob.text = s
        self._finish(ob, unit, doc, lead_text=lead.text)
        return ob

    def _finish(self, ob: Obligation, unit: Unit, doc, lead_text: str = "", span=None) -> None:
        self._heading[ob.id] = unit.heading
        self._evidence[ob.id] = self.stage_scorer.evidence(doc, unit.heading, "", extra_text=lead_text,
                                                           regulator=ob.regulator_duty, span=span, action=ob.action,
                                                           title=getattr(self, "_title", ""))
        build_requirements(ob, lead_text)


def merge_same_duty(obs: list[Obligation]) -> list[Obligation]:
    """One obligation per duty of a 款: consecutive clauses of one provision with the same bearer, modality and
    regulator flag are one register row (应当A。应当B。 is one duty of one party), their text joined; a change of
    modality or bearer starts a new one. Items of a list stay apart (each item is its own provision)."""
    out: list[Obligation] = []
    for ob in obs:
        prev = out[-1] if out else None
        if prev is not None and prev.provision_id == ob.provision_id and prev.modality == ob.modality and \
                prev.actors == ob.actors and prev.regulators == ob.regulators and \
                prev.regulator_duty == ob.regulator_duty and not prev.elements and not ob.elements:
            prev.text = f"{prev.text}{ob.text}"
            prev.predicate = f"{prev.predicate}{ob.predicate}"
            prev.requirement_zh = f"{prev.requirement_zh}{ob.requirement_zh}" if not ob.requirement_zh.startswith(
                "【") else f"{prev.requirement_zh}{ob.requirement_zh.split('】', 1)[1]}"
            if ob.condition and ob.condition != prev.condition:
                prev.condition = f"{prev.condition}；{ob.condition}" if prev.condition else ob.condition
            prev.confidence = min(prev.confidence, ob.confidence)
            continue
        out.append(ob)
    # ids stay {provision}#o{n} with n the order within the provision after merging
    counters: dict[str, int] = {}
    for ob in out:
        n = counters.get(ob.provision_id, 0) + 1
        counters[ob.provision_id] = n
        ob.position = ob.position - int(ob.id.rsplit("#o", 1)[1]) + n
        ob.id = f"{ob.provision_id}#o{n}"
    return out


def clause_fingerprint(text: str) -> str:
    """The clause text reduced to its words: what an obligation's register key is anchored on (punctuation, spaces
    and the item label do not count, so re-typesetting a clause keeps its key)."""
    t = re.sub(rf"^[（(]{CN_OR_ARABIC_LABEL_NUM}[）)]", "", text.strip())
    return re.sub(r"[\s，,。；;：:、“”\"'（）()《》]", "", t)


def assign_keys(obs: list[Obligation], instrument: str) -> None:
    """Register keys: instrument + a hash of the clause's words (and the bearer's modality), so a row keeps its key
    across re-ingests and across versions of the instrument as long as the clause is unchanged; the n-th repeat of
    the same clause within one version gets a suffix."""
    seen: dict[str, int] = {}
    for ob in sorted(obs, key=lambda o: o.position):
        h = hashlib.sha1(f"{ob.modality}|{clause_fingerprint(ob.text)}".encode()).hexdigest()[:10]
        base = f"{instrument}:{h}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        ob.key = base if n == 1 else f"{base}~{n}"


_EXTRACTOR: Extractor | None = None


def extract(parsed_docs) -> ExtractionResult:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = Extractor()
    return _EXTRACTOR.run(parsed_docs)
