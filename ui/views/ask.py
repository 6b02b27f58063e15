"""Page: ask a question, read the answer with its cited clauses."""
from __future__ import annotations

from urllib.parse import quote

import streamlit as st

from ui.core import Core
from ui.views.common import EXAMPLES, backend, call, clause_button, esc, first, plain

# ---------------------------------------------------------------- page: ask


def page_ask() -> None:
    st.markdown("### 合规问答 Compliance Q&A")
    st.caption("用中文或英文提问；回答只引用检索到的条文，并附原文。"
               "Ask in Chinese or English; answers cite only retrieved clauses, with their verbatim text.")
    with st.form("ask_form", clear_on_submit=False, border=False):
        q = st.text_area("问题 Question", key="question", height=90,
                         placeholder="例如：医院用患者病历训练诊断模型，需要取得患者的单独同意吗？")
        as_of = st.date_input("适用日期（可选）As of (optional)", value=None, key="as_of", format="YYYY-MM-DD",
                              help="按该日有效的版本回答，例如 2023-06-01 适用《医疗器械监督管理条例》2021年版。"
                                   "Answer from the versions in force on that date.")
        submitted = st.form_submit_button("提问 Ask", type="primary")
    cols = st.columns(len(EXAMPLES))
    for i, (c, ex) in enumerate(zip(cols, EXAMPLES)):
        c.button(ex if len(ex) < 34 else ex[:32] + "…", key=f"ex{i}", help=ex,
                 on_click=lambda ex=ex: st.session_state.update(question=ex, ask_now=True),
                 width="stretch")
    if st.session_state.pop("ask_now", False):
        submitted, q = True, st.session_state.get("question", "")
    if submitted:
        q = (q or "").strip()
        if not q:
            st.warning("请输入问题。Please type a question.")
            return
        with st.spinner("检索条文并组织回答… Retrieving clauses and composing the answer…"):
            as_of = st.session_state.get("as_of")
            resp = call(Core(backend()).ask, q, as_of=as_of.isoformat() if as_of else None)
        st.session_state["answer"] = plain(resp)
    resp = st.session_state.get("answer")
    if resp:
        render_answer(resp)


def _linkify(answer: str, citations: list[dict]) -> str:
    """The answer as HTML: '- ' lines become a list, '…：' lines headings, every cited clause in bold navy so a
    reader can match it to the cards below."""
    ids = {first(c, "citation"): first(c, "provision_id", "id") for c in citations if first(c, "citation")}
    cites = sorted(ids, key=len, reverse=True)

    def mark(line: str) -> str:
        """Each cited clause becomes a link that opens it in context in a new tab (the answer stays here)."""
        text = esc(line)
        for i, c in enumerate(cites):  # placeholders first, so a shorter citation never matches inside a link
            text = text.replace(esc(c), f"\x00{i}\x00")
        for i, c in enumerate(cites):
            href = f"?clause={quote(str(ids[c]), safe='/')}"
            text = text.replace(f"\x00{i}\x00", f"<a class='yg-link' href='{href}' target='_blank' "
                                                 f"title='在上下文中查看 Open in context'>{esc(c)}</a>")
        return text

    out, in_list = [], False
    for line in answer.splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "• ", "* ")):
            if not in_list:
                out.append("<ul style='margin:.2rem 0 .4rem 1.1rem;padding:0'>")
                in_list = True
            out.append(f"<li>{mark(stripped[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if not stripped:
            continue
        if stripped.endswith(("：", ":")) and len(stripped) < 40:
            out.append(f"<div style='font-weight:600;margin-top:.35rem'>{mark(stripped)}</div>")
        else:
            out.append(f"<div>{mark(stripped)}</div>")
    if in_list:
        out.append("</ul>")
    return "".join(out)


def render_answer(resp: dict) -> None:
    citations = [plain(c) for c in resp.get("citations") or []]
    took = resp.get("took_ms")
    mode = "LLM" if resp.get("mode") == "llm" else "条文摘录 extractive"
    if resp.get("abstained"):
        st.warning("未找到足以回答的条文，以下为可能相关的条款。\n\n"
                   "No clause answers this question with confidence; possibly related clauses follow.")
    if resp.get("answer"):
        st.markdown(f"<div class='yg-answer'>{_linkify(resp['answer'], citations)}</div>", unsafe_allow_html=True)
    meta = [f"{len(citations)} 条引用 citations", mode]
    if resp.get("as_of"):
        meta.insert(0, f"截至 as of {resp['as_of']}")
    if took is not None:
        meta.append(f"{took / 1000:.1f} s")
    st.caption(" · ".join(meta))
    notes = list(dict.fromkeys(n for n in resp.get("notes") or [] if n))
    if notes:
        st.info("\n".join(f"- {n}" for n in notes), icon="ℹ️")
    if citations:
        st.markdown("#### 引用条文 Cited clauses")
    for i, c in enumerate(citations):
        _clause_card(c, key=f"cite{i}", quote_key="quote")
    related = [plain(r) for r in resp.get("possibly_related") or []]
    if related:
        st.markdown("#### 可能相关 Possibly related")
        for i, r in enumerate(related):
            _clause_card(r, key=f"rel{i}", quote_key="text")


def _clause_card(c: dict, *, key: str, quote_key: str) -> None:
    pid = first(c, "provision_id", "id")
    version = first(c, "version", default="")
    current = c.get("current", True)
    badge = ("<span class='yg-badge yg-current'>现行 in force</span>" if current else
             "<span class='yg-badge yg-old'>旧版 superseded</span>")
    if c.get("incomplete"):
        badge += "<span class='yg-badge yg-old'>文本不完整 incomplete text</span>"
    en = first(c, "text_en")
    with st.container(border=False):
        st.markdown(
            f"<div class='yg-card'><span class='yg-cite'>{esc(first(c, 'citation'))}</span>{badge}"
            f"<div class='yg-meta'>{esc(first(c, 'doc_title'))}{'（' + esc(version) + ' 版）' if version else ''}"
            f" · <code>{esc(pid)}</code></div>"
            f"<div class='yg-clause'>{esc(first(c, quote_key, 'text', 'quote'))}</div>"
            + (f"<div class='yg-en'>{esc(en)}</div>" if en else "")
            + "</div>",
            unsafe_allow_html=True,
        )
        if pid:
            clause_button(f"在上下文中查看 Open in context → {first(c, 'citation') or pid}", pid, key=f"open_{key}")
