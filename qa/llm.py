"""Optional LLM prose over the retrieved clauses, through llama-index; its output is verified before anyone sees it.

Configuration (environment):
  YIGUI_LLM_BASE_URL   OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp server, a hosted API)
  YIGUI_LLM_MODEL      model name the endpoint expects
  YIGUI_LLM_API_KEY    key, if the endpoint needs one
  YIGUI_LLM_PROVIDER   "openai" (default) or "ollama" (then the base URL defaults to http://127.0.0.1:11434/v1)
  YIGUI_LLM_TIMEOUT    seconds (default 60)
Nothing configured: no LLM, answers are composed from the clauses (qa.answer).

Verification (the model sees only the retrieved clauses, each with its id): every citation it emits — a [clause id]
marker or a textual reference in any form the project's citation parser (ingest.resolve) reads: 《title》第二十九条,
第29条, 第十三条第一款第（二）项, 第13条第1款第2项, 第十三条第一款（二）, a bare registered title (数据安全法第45条), "PIPL
Article 13(1)" — must be one of those clauses or contain one (第十三条 when 第十三条第一款 was shown); it resolves to the
same provision id whatever numerals it uses, pinned to the 款/项 it names. Every quotation (“…”, "…", 「…」) must be
verbatim text of a clause it was shown (Chinese or the official English). A sentence that fails is removed and the
removal is reported in the response notes; a sentence with no citation at all is removed too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.citation import short_title
from ingest.numerals import CN_OR_ARABIC_NUM
from ingest.settings import settings

from .schemas import AskResponse, Citation

SYSTEM_PROMPT = (
    "You are a careful Chinese legal research assistant. Answer the question ONLY from the clauses provided. "
    "Every sentence you write must end with the id of the clause it rests on in square brackets, e.g. [pipl/art29]. "
    "When you quote, quote the clause text exactly, inside “ ”. Never cite a clause that is not in the list. "
    "If the clauses do not answer the question, say so. Answer in the language of the question."
)


def llm_from_env():
    """A llama-index LLM from YIGUI_LLM_* settings, or None when none is configured."""
    cfg = settings()
    provider = cfg.llm_provider
    base = cfg.llm_base_url
    model = cfg.llm_model
    if provider == "ollama":
        base = base or "http://127.0.0.1:11434/v1"
    if not base or not model:
        if base or model:
            raise RuntimeError("set both YIGUI_LLM_BASE_URL and YIGUI_LLM_MODEL (or neither, for answers without an LLM)")
        return None
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=model,
        api_base=base.rstrip("/"),
        api_key=cfg.llm_api_key or ("ollama" if provider == "ollama" else "none"),
        is_chat_model=True,
        context_window=cfg.llm_context,
        max_tokens=cfg.llm_max_tokens,
        temperature=0.0,
        timeout=cfg.llm_timeout,
        max_retries=1,
    )


@dataclass
class Clause:
    id: str
    citation: str
    text: str
    text_en: str | None = None


@dataclass
class Verified:
    answer: str
    cited_ids: list[str]
    removed: list[str] = field(default_factory=list)  # human-readable reasons


def build_messages(question: str, clauses: list[Clause]):
    from llama_index.core.llms import ChatMessage

    parts = []
    for c in clauses:
        block = f"[{c.id}] {c.citation}\n{c.text}"
        if c.text_en:
            block += f"\n(official English) {c.text_en}"
        parts.append(block)
    user = "Clauses:\n\n" + "\n\n".join(parts) + f"\n\nQuestion: {question}"
    return [ChatMessage(role="system", content=SYSTEM_PROMPT), ChatMessage(role="user", content=user)]


_MARK = re.compile(r"\[([A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)+)\]")
_N = CN_OR_ARABIC_NUM  # \d: full-width digits too
# item forms the citation parser does not read, rewritten to its 第（N）项: 第二项 / 第2项 and a bare （二） after 条 or 款
_ITEM_BARE = re.compile(rf"(?<=[条款])\s*第\s*({_N})\s*项")
_ITEM_PAREN = re.compile(rf"(?<=[条款])\s*[（(]\s*({_N})\s*[）)](?!\s*项)")
# anything shaped like 《title》第…条, so that a reference the parser cannot read (第二十九九条, 第五条之一) is still caught
_LOOSE_CITE = re.compile(r"《[^《》]{1,80}》\s*第\s*[^条。；，,\s《》]{1,12}?\s*条(?:之[^。；，,\s《》]{1,4})?")
_QUOTES = re.compile(r"“([^”]{2,})”|\"([^\"]{2,})\"|「([^」]{2,})」")
_SENT = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+|\n+")


def _norm(s: str) -> str:
    return re.sub(r"[\s\u3000]", "", s).replace(";", "；").replace(":", "：").replace(",", "，")


def _sentences(text: str) -> list[str]:
    """Split at sentence ends, keeping a trailing [id] marker with the sentence it closes."""
    out: list[str] = []
    for piece in _SENT.split(text):
        if piece is None or not piece.strip():
            continue
        piece = piece.strip()
        m = re.match(r"^((?:\[[^\]]+\]\s*)+)(.*)$", piece)
        if m and out:  # markers after the full stop belong to the previous sentence
            out[-1] += " " + m.group(1).strip()
            piece = m.group(2).strip()
            if not piece:
                continue
        out.append(piece)
    return out


def _item_forms(s: str) -> str:
    """第十三条第一款第二项 / 第13条第1款第2项 / 第十三条第一款（二） -> ...第（二）项, the form ingest.resolve reads."""
    s = _ITEM_BARE.sub(lambda m: f"第（{m.group(1)}）项", s)
    return _ITEM_PAREN.sub(lambda m: f"第（{m.group(1)}）项", s)


_ID = re.compile(r"^(?P<doc>[^/]+)/(?P<suffix>art\d+(?:/p\d+)?(?:/i\d+)?(?:/s\d+)?)$")


@dataclass
class _Shown:
    """A shown clause as citations address it: its instruments, short title, document and id below the document."""

    clause: Clause
    instruments: set[str]
    title: str
    doc: str
    suffix: str | None


def _title_key(title: str) -> str:
    return _norm(short_title(title.replace("(", "（").replace(")", "）")))


def _shown(c: Clause) -> _Shown:
    from ingest.registry import instrument_of
    from ingest.resolve import find_citations

    doc, suffix = c.id.split("/", 1)[0], None
    m = _ID.match(c.id)
    if m:
        suffix = m.group("suffix")
    refs = find_citations(c.citation)
    ref = refs[0] if refs else None
    t = re.match(r"\s*《([^》]+)》", c.citation)
    title = ref.title if ref else (t.group(1) if t else c.citation)
    if suffix is None and ref is not None:  # an id of another shape: the clause's own citation says where it is
        suffix = ref.provision_suffix()
    insts = {i for i in (instrument_of(doc), ref.instrument if ref else None) if i}
    return _Shown(c, insts, _title_key(title), doc, suffix)


def _same_instrument(ref, sh: _Shown) -> bool:
    if ref.instrument and sh.instruments:
        return ref.instrument in sh.instruments
    return _title_key(ref.title) == sh.title


def _addresses(ref, sh: _Shown) -> int:
    """2: the citation is the shown clause; 1: it contains it (第十三条 for 第十三条第一款); 0: neither."""
    if sh.suffix is None or not _same_instrument(ref, sh):
        return 0
    want = ref.provision_suffix()
    if sh.suffix == want:
        return 2
    if ref.item is not None and ref.paragraph is None:  # 第十三条第（二）项: the item under whichever paragraph
        if re.fullmatch(rf"art{ref.article}/p\d+/i{ref.item}" + (f"/s{ref.subitem}" if ref.subitem else ""),
                        sh.suffix):
            return 2
        return 1 if re.match(rf"art{ref.article}/p\d+/i{ref.item}/", sh.suffix) else 0
    return 1 if sh.suffix.startswith(want + "/") else 0


def _within(ref, sh: _Shown, provisions) -> str | None:
    """The provision a citation names inside a shown clause (第十三条第一款第（二）项 when 第十三条第一款 was shown),
    when the corpus has it; None otherwise. Never a provision outside every shown clause."""
    if not provisions or sh.suffix is None or not _same_instrument(ref, sh):
        return None
    base = sh.clause.id + "/"
    pid = f"{sh.doc}/{ref.provision_suffix()}"
    if pid.startswith(base) and pid in provisions:
        return pid
    if ref.item is not None and ref.paragraph is None:  # 第十三条第（二）项: the item under whichever paragraph
        tail = rf"/art{ref.article}/p\d+/i{ref.item}" + (f"/s{ref.subitem}" if ref.subitem else "")
        rx = re.compile(re.escape(sh.doc) + tail + "$")
        return next((p for p in provisions if p.startswith(base) and rx.match(p)), None)
    return None


def _year(title: str) -> str | None:
    m = re.search(r"(?:19|20)\d{2}", title)
    return m.group(0) if m else None


def text_citations(sentence: str, shown: list[_Shown], provisions=None) -> list[tuple[str, str | None]]:
    """(the reference as written, the provision id it resolves to, or None) for every textual citation in a
    sentence: Chinese or Arabic numerals, 款/项/目, bare registered titles, English forms (ingest.resolve). It resolves
    to the shown clause it names; else, given the corpus's provisions (id -> provision), to the 款/项 it names inside a
    shown clause; else to the first shown clause inside the provision it names (第十三条 when 第十三条第一款 was shown)."""
    from ingest.resolve import find_citations

    s = _item_forms(sentence)
    out: list[tuple[str, str | None]] = []
    spans: list[tuple[int, int]] = []
    for ref in find_citations(s):
        a, b = ref.span or (0, 0)
        spans.append((a, b))
        written = s[a:b]
        if re.search(r"条\s*之", written):  # 第二十条之一: an inserted article, which the parser reads as 第二十条
            out.append((written, None))
            continue
        year = _year(ref.title)
        ranked = []
        for k, sh in enumerate(shown):
            rank = _addresses(ref, sh)
            inner = None if rank == 2 else _within(ref, sh, provisions)
            if inner is not None:
                rank = 1.5
            if rank:
                ranked.append((-(rank + (0.25 if year and year in sh.doc else 0.0)), k, inner or sh.clause.id))
        out.append((written, min(ranked)[2] if ranked else None))
    for m in _LOOSE_CITE.finditer(s):  # shaped like a citation but not one the parser could read: not verifiable
        if not any(a < m.end() and m.start() < b for a, b in spans):
            out.append((m.group(0), None))
    return out


def verify(answer: str, clauses: list[Clause], provisions=None) -> Verified:
    """Keep only sentences whose citations are retrieved clauses and whose quotes are verbatim clause text.

    `provisions` (provision id -> provision, e.g. Retriever.by_id): lets a textual citation pin a 款/项 inside a shown
    clause (cited_ids then holds that provision's id); without it a citation finer than every shown clause fails."""
    by_id = {c.id: c for c in clauses}
    shown = [_shown(c) for c in clauses]
    texts = [_norm(c.text) for c in clauses] + [_norm(c.text_en) for c in clauses if c.text_en]
    kept, cited, removed = [], [], []
    for s in _sentences(answer):
        ids = _MARK.findall(s)
        bad_ids = [i for i in ids if i not in by_id]
        text_cites = text_citations(s, shown, provisions)
        bad_text = [t for t, pid in text_cites if pid is None]
        quotes = [next(g for g in m if g) for m in _QUOTES.findall(s)]
        bad_quotes = [q for q in quotes if not any(_norm(q) in t for t in texts)]
        if bad_ids or bad_text:
            removed.append(f"removed a sentence citing a clause that was not retrieved: {', '.join(bad_ids + bad_text)}")
            continue
        if bad_quotes:
            removed.append(f"removed a sentence whose quotation is not verbatim clause text: “{bad_quotes[0][:60]}”")
            continue
        if not ids and not text_cites:
            if len(_norm(s)) > 12:
                removed.append(f"removed an uncited sentence: {s[:60]}")
            continue
        kept.append(s)
        for i in ids + [pid for _, pid in text_cites]:
            if i not in cited:
                cited.append(i)
    return Verified(answer="\n".join(kept), cited_ids=cited, removed=removed)


def llm_answer(llm, question: str, qa, hits, retriever) -> AskResponse:
    """Ask the LLM over the hits' clauses, verify, and build the response; falls back to abstaining if nothing survives."""
    clauses = []
    for h in hits:
        p = h.pinpoint
        en_text, _ = retriever.english_of(p.id)
        clauses.append(Clause(p.id, p.citation, p.text, en_text))
    try:
        out = llm.chat(build_messages(question, clauses))
        raw = out.message.content or ""
    except Exception as e:  # the endpoint is a user's: report, don't crash
        return AskResponse(question=question, answer=("The configured LLM could not be reached; no answer was generated."
                                                      if qa.lang == "en" else "配置的大模型无法访问，未生成回答。"),
                           abstained=True, citations=[], took_ms=0.0, mode="llm",
                           notes=[f"LLM error ({type(e).__name__}: {str(e)[:200]}); check YIGUI_LLM_BASE_URL/MODEL/API_KEY"])
    v = verify(raw, clauses, retriever.by_id)
    by_id = {h.pinpoint.id: h for h in hits}
    cites = []
    for cid in v.cited_ids:
        h = by_id.get(cid)
        if h is not None:
            d, p = h.unit.doc, h.pinpoint
            paragraph = p.paragraph if p is not h.unit.prov else None
        else:  # a 款/项 the answer pinned inside a shown clause: cited and quoted as that provision
            h = next(x for x in hits if cid.startswith(x.pinpoint.id + "/"))
            d, p = h.unit.doc, retriever.by_id[cid]
            paragraph = p.paragraph
        en_text, en_cit = retriever.english_of(cid)
        cites.append(Citation(provision_id=cid, doc_id=d.id, doc_title=d.title, article=h.unit.prov.article,
                              paragraph=paragraph, citation=p.citation, quote=p.text, version=d.version or d.effective,
                              text_en=en_text, citation_en=en_cit, current=bool(d.current), incomplete=d.incomplete))
    abstained = not v.answer.strip() or not cites
    answer = v.answer if not abstained else ("The model's answer could not be verified against the retrieved clauses."
                                             if qa.lang == "en" else "大模型的回答无法与检索到的条文核对一致，未予采用。")
    return AskResponse(question=question, answer=answer, abstained=abstained, citations=cites, took_ms=0.0,
                       notes=v.removed, mode="llm")
