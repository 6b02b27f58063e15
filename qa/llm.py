"""Optional LLM prose over the retrieved clauses, through llama-index; its output is verified before anyone sees it.

Configuration (environment):
  YIGUI_LLM_BASE_URL   OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM, llama.cpp server, a hosted API)
  YIGUI_LLM_MODEL      model name the endpoint expects
  YIGUI_LLM_API_KEY    key, if the endpoint needs one
  YIGUI_LLM_PROVIDER   "openai" (default) or "ollama" (then the base URL defaults to http://127.0.0.1:11434/v1)
  YIGUI_LLM_TIMEOUT    seconds (default 60)
Nothing configured: no LLM, answers are composed from the clauses (qa.answer).

Verification (the model sees only the retrieved clauses, each with its id): every citation it emits — a [clause id]
marker or a 《title》第N条 reference — must be one of those clauses, and every quotation (“…”, "…", 「…」) must be
verbatim text of a clause it was shown (Chinese or the official English). A sentence that fails is removed and the
removal is reported in the response notes; a sentence with no citation at all is removed too.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from .schemas import AskResponse, Citation

SYSTEM_PROMPT = (
    "You are a careful Chinese legal research assistant. Answer the question ONLY from the clauses provided. "
    "Every sentence you write must end with the id of the clause it rests on in square brackets, e.g. [pipl/art29]. "
    "When you quote, quote the clause text exactly, inside “ ”. Never cite a clause that is not in the list. "
    "If the clauses do not answer the question, say so. Answer in the language of the question."
)


def llm_from_env():
    """A llama-index LLM from YIGUI_LLM_* settings, or None when none is configured."""
    provider = (os.environ.get("YIGUI_LLM_PROVIDER") or "openai").strip().lower()
    base = os.environ.get("YIGUI_LLM_BASE_URL")
    model = os.environ.get("YIGUI_LLM_MODEL")
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
        api_key=os.environ.get("YIGUI_LLM_API_KEY") or ("ollama" if provider == "ollama" else "none"),
        is_chat_model=True,
        context_window=int(os.environ.get("YIGUI_LLM_CONTEXT", "8192")),
        max_tokens=int(os.environ.get("YIGUI_LLM_MAX_TOKENS", "800")),
        temperature=0.0,
        timeout=float(os.environ.get("YIGUI_LLM_TIMEOUT", "60")),
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
_TEXT_CITE = re.compile(r"《([^》]{2,80})》\s*(第[零一二三四五六七八九十百千]+条(?:第[零一二三四五六七八九十]+款)?(?:第（[零一二三四五六七八九十]+）项)?)")
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


def verify(answer: str, clauses: list[Clause]) -> Verified:
    """Keep only sentences whose citations are retrieved clauses and whose quotes are verbatim clause text."""
    by_id = {c.id: c for c in clauses}
    # 《title》第N条 references a shown clause when some shown citation starts with it
    shown_cites = [_norm(c.citation) for c in clauses]
    texts = [_norm(c.text) for c in clauses] + [_norm(c.text_en) for c in clauses if c.text_en]
    kept, cited, removed = [], [], []
    for s in _sentences(answer):
        ids = _MARK.findall(s)
        bad_ids = [i for i in ids if i not in by_id]
        text_cites = ["《%s》%s" % m for m in _TEXT_CITE.findall(s)]
        bad_text = [t for t in text_cites if not any(sc.startswith(_norm(t)) for sc in shown_cites)]
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
        for i in ids:
            if i not in cited:
                cited.append(i)
        for t in text_cites:
            for c in clauses:
                if _norm(c.citation).startswith(_norm(t)) and c.id not in cited:
                    cited.append(c.id)
                    break
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
    v = verify(raw, clauses)
    by_id = {h.pinpoint.id: h for h in hits}
    cites = []
    for cid in v.cited_ids:
        h = by_id[cid]
        d = h.unit.doc
        en_text, _ = retriever.english_of(cid)
        cites.append(Citation(provision_id=cid, doc_title=d.title, article=h.unit.prov.article,
                              paragraph=h.pinpoint.paragraph if h.pinpoint is not h.unit.prov else None,
                              citation=h.pinpoint.citation, quote=h.pinpoint.text, version=d.version or d.effective,
                              text_en=en_text))
    abstained = not v.answer.strip() or not cites
    answer = v.answer if not abstained else ("The model's answer could not be verified against the retrieved clauses."
                                             if qa.lang == "en" else "大模型的回答无法与检索到的条文核对一致，未予采用。")
    return AskResponse(question=question, answer=answer, abstained=abstained, citations=cites, took_ms=0.0,
                       notes=v.removed, mode="llm")
