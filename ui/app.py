"""YiGui (医规) Streamlit app for lawyers and compliance officers (`yigui ui`).

Four pages: ask a question and read the cited clauses; open any clause in context (document, chapter, neighbours,
penalties, other versions, official English); explore obligations by actor/stage/… with a graph view and export a
checklist; see what the corpus holds and what is missing. Heavy objects (store connection, retriever, answerer) are
cached per process with st.cache_resource, so only the first visitor waits for them.
"""
from __future__ import annotations

import html
import os
import re
from urllib.parse import quote
from typing import Any

import streamlit as st

from ingest.model import LEVEL_LABELS
from ui import export, register
from ui.api import Backend, StoreUnavailable, _is_store_down

PAGES = {
    "ask": "问答 Ask",
    "clause": "条文 Clause",
    "obligations": "义务 Obligations",
    "corpus": "语料 Corpus",
}
EXAMPLES = [
    "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？",
    "What must an AI medical device registrant do after an adverse event?",
    "医疗器械注册人在上市后需要履行哪些不良事件监测义务？",
    "Can patient data used for model training be transferred abroad?",
]
MODALITIES = {"": "全部 All", **{k: f"{zh} {en}" for k, (zh, en) in export.MODALITY_LABELS.items()}}
LEVELS = {"": "全部 All", **{k: v for k, v in LEVEL_LABELS.items() if k != "other"}}

CSS = """
<style>
.block-container {padding-top: 2.6rem; max-width: 1200px;}
.yg-brand {font-size: 1.5rem; font-weight: 700; color: #1F3864; margin-bottom: 0;}
.yg-sub {color: #666; font-size: .85rem; margin-top: -.2rem;}
.yg-answer {background: #F7F9FC; border-left: 4px solid #1F3864; padding: .9rem 1.1rem; border-radius: 4px;
            line-height: 1.75; font-size: 1.02rem;}
.yg-card {border: 1px solid #E3E7EE; border-radius: 6px; padding: .75rem 1rem; margin: .35rem 0 .2rem 0;
          background: #FFFFFF;}
.yg-cite {font-weight: 700; color: #1F3864; font-size: 1.0rem;}
.yg-meta {color: #6B7280; font-size: .8rem;}
.yg-clause {font-family: "Noto Serif CJK SC", "Songti SC", "SimSun", serif; line-height: 1.8; font-size: 1.0rem;
            white-space: pre-wrap; margin-top: .35rem;}
.yg-en {font-family: Georgia, serif; color: #374151; font-size: .92rem; line-height: 1.6; white-space: pre-wrap;
        border-top: 1px dashed #E3E7EE; margin-top: .5rem; padding-top: .4rem;}
.yg-focus {background: #FFF7D6; border-radius: 3px;}
.yg-badge {display: inline-block; padding: 0 .45rem; border-radius: 10px; font-size: .72rem; margin-left: .4rem;
           vertical-align: middle;}
.yg-current {background: #E6F4EA; color: #1E6B34;}
.yg-old {background: #FDECEA; color: #A12622;}
.yg-crumb {color: #6B7280; font-size: .85rem;}
.yg-link {color: #1F3864 !important; font-weight: 700; text-decoration: none;
           border-bottom: 1px dotted #1F3864;}
</style>
"""


# ---------------------------------------------------------------- data access (cached)


@st.cache_resource(show_spinner="连接知识图谱 Connecting to the knowledge graph…")
def _shared_backend() -> Backend:
    import threading

    b = Backend()
    threading.Thread(target=b.warm_up, name="yigui-warm-up", daemon=True).start()
    return b


def backend() -> Backend:
    """The session's backend: one injected by a test or embedding host, else the process-wide one."""
    injected = st.session_state.get("_yigui_backend")
    return injected if injected is not None else _shared_backend()


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return value


def _g(d: Any, *keys: str, default: Any = None) -> Any:
    """First present key of a dict-like (query results differ slightly by source)."""
    if d is None:
        return default
    for k in keys:
        v = d.get(k) if isinstance(d, dict) else getattr(d, k, None)
        if v not in (None, "", []):
            return v
    return default


def _esc(text: Any) -> str:
    return html.escape(str(text or ""))


def _call(fn, *args, **kwargs):
    """Run a store call; an outage shows one clear message and stops the page instead of a traceback."""
    try:
        return fn(*args, **kwargs)
    except StoreUnavailable:
        _store_down()
    except Exception as exc:
        if _is_store_down(exc):
            _store_down()
        raise


def _store_down() -> None:
    st.error("知识图谱暂不可用。请稍后重试，或运行 `yigui db start`。\n\n"
             "The knowledge graph is unavailable right now. Retry shortly, or run `yigui db start`.")
    st.stop()


@st.cache_data(ttl=600, show_spinner=False)
def _documents(_b: Backend, key: str) -> list[dict]:
    return [_plain(d) for d in _b.queries.documents()]


@st.cache_data(ttl=600, show_spinner=False)
def _stats(_b: Backend, key: str) -> dict:
    s = _b.queries.stats() if hasattr(_b.queries, "stats") else {}
    return _plain(s) or {}


@st.cache_data(ttl=600, show_spinner=False)
def _tree(_b: Backend, key: str, doc_id: str) -> list[dict]:
    """The document's provisions in reading order (the nested tree flattened)."""
    tree = _plain(_b.queries.document_tree(doc_id)) or {}
    out: list[dict] = []

    def walk(nodes):
        for n in nodes or []:
            out.append({k: v for k, v in n.items() if k != "children"})
            walk(n.get("children"))

    walk(tree.get("children") if isinstance(tree, dict) else tree)
    return out


def _bkey() -> str:
    return str(id(backend()))


def docs_by_id() -> dict[str, dict]:
    return {d.get("id"): d for d in _call(_documents, backend(), _bkey())}


# ---------------------------------------------------------------- navigation


def goto(page: str, **state: Any) -> None:
    st.session_state.update(state)
    st.session_state["page"] = page


def open_clause(provision_id: str) -> None:
    goto("clause", clause_id=provision_id, clause_query=provision_id)


def _clause_button(label: str, provision_id: str, key: str, *, help: str | None = None) -> None:
    st.button(label, key=key, on_click=open_clause, args=(provision_id,), help=help or f"打开 Open {provision_id}")


# ---------------------------------------------------------------- page: ask


def page_ask() -> None:
    st.markdown("### 合规问答 Compliance Q&A")
    st.caption("用中文或英文提问；回答只引用检索到的条文，并附原文。"
               "Ask in Chinese or English; answers cite only retrieved clauses, with their verbatim text.")
    with st.form("ask_form", clear_on_submit=False, border=False):
        q = st.text_area("问题 Question", key="question", height=90,
                         placeholder="例如：医院用患者病历训练诊断模型，需要取得患者的单独同意吗？")
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
        answerer = _call(lambda: backend().answerer)
        if answerer is None:
            st.error("问答模块未安装。The Q&A pipeline (qa.answer) is not available in this installation.")
            return
        with st.spinner("检索条文并组织回答… Retrieving clauses and composing the answer…"):
            resp = _call(answerer.ask, q)
        st.session_state["answer"] = _plain(resp)
    resp = st.session_state.get("answer")
    if resp:
        render_answer(resp)


def _linkify(answer: str, citations: list[dict]) -> str:
    """The answer as HTML: '- ' lines become a list, '…：' lines headings, every cited clause in bold navy so a
    reader can match it to the cards below."""
    ids = {_g(c, "citation"): _g(c, "provision_id", "id") for c in citations if _g(c, "citation")}
    cites = sorted(ids, key=len, reverse=True)

    def mark(line: str) -> str:
        """Each cited clause becomes a link that opens it in context in a new tab (the answer stays here)."""
        text = _esc(line)
        for i, c in enumerate(cites):  # placeholders first, so a shorter citation never matches inside a link
            text = text.replace(_esc(c), f"\x00{i}\x00")
        for i, c in enumerate(cites):
            href = f"?clause={quote(str(ids[c]), safe='/')}"
            text = text.replace(f"\x00{i}\x00", f"<a class='yg-link' href='{href}' target='_blank' "
                                                 f"title='在上下文中查看 Open in context'>{_esc(c)}</a>")
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
    citations = [_plain(c) for c in resp.get("citations") or []]
    took = resp.get("took_ms")
    mode = "LLM" if resp.get("mode") == "llm" else "条文摘录 extractive"
    if resp.get("abstained"):
        st.warning("未找到足以回答的条文，以下为可能相关的条款。\n\n"
                   "No clause answers this question with confidence; possibly related clauses follow.")
    if resp.get("answer"):
        st.markdown(f"<div class='yg-answer'>{_linkify(resp['answer'], citations)}</div>", unsafe_allow_html=True)
    meta = [f"{len(citations)} 条引用 citations", mode]
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
    related = [_plain(r) for r in resp.get("possibly_related") or []]
    if related:
        st.markdown("#### 可能相关 Possibly related")
        for i, r in enumerate(related):
            _clause_card(r, key=f"rel{i}", quote_key="text")


def _clause_card(c: dict, *, key: str, quote_key: str) -> None:
    pid = _g(c, "provision_id", "id")
    version = _g(c, "version", default="")
    current = c.get("current", True)
    badge = ("<span class='yg-badge yg-current'>现行 in force</span>" if current else
             "<span class='yg-badge yg-old'>旧版 superseded</span>")
    en = _g(c, "text_en")
    with st.container(border=False):
        st.markdown(
            f"<div class='yg-card'><span class='yg-cite'>{_esc(_g(c, 'citation'))}</span>{badge}"
            f"<div class='yg-meta'>{_esc(_g(c, 'doc_title'))}{'（' + _esc(version) + ' 版）' if version else ''}"
            f" · <code>{_esc(pid)}</code></div>"
            f"<div class='yg-clause'>{_esc(_g(c, quote_key, 'text', 'quote'))}</div>"
            + (f"<div class='yg-en'>{_esc(en)}</div>" if en else "")
            + "</div>",
            unsafe_allow_html=True,
        )
        if pid:
            _clause_button(f"在上下文中查看 Open in context → {_g(c, 'citation') or pid}", pid, key=f"open_{key}")


# ---------------------------------------------------------------- page: clause in context


def _resolve(text: str) -> str | None:
    q = backend().queries
    text = text.strip()
    if not text:
        return None
    if _call(q.provision, text):
        return text
    hit = _plain(_call(q.resolve_citation, text))
    if isinstance(hit, list):
        hit = hit[0] if hit else None
    if isinstance(hit, dict):
        hit = _g(hit, "id", "provision_id")
    return hit or None


def page_clause() -> None:
    st.markdown("### 条文 Clause in context")
    st.text_input("条文编号或引用 Clause id or citation", key="clause_query",
                  placeholder="《个人信息保护法》第二十九条  ·  pipl/art29  ·  mdsr-2024/art62/p1",
                  on_change=lambda: st.session_state.update(clause_id=None))
    pid = st.session_state.get("clause_id")
    if not pid and st.session_state.get("clause_query"):
        pid = _resolve(st.session_state["clause_query"])
        if not pid:
            st.warning(f"找不到该条文 No clause matches “{st.session_state['clause_query']}”. "
                       "Try a citation like 《个人信息保护法》第二十九条 or an id like pipl/art29.")
            return
        st.session_state["clause_id"] = pid
    if not pid:
        st.info("从问答结果点击引用，或在上方输入引用。Follow a citation from an answer, or type one above.")
        return
    render_clause(pid)


def _ids_of(items: Any) -> list[dict]:
    if isinstance(items, dict):
        items = [items]
    out = []
    for it in items or []:
        it = _plain(it)
        if isinstance(it, str):
            out.append({"id": it, "citation": it})
        elif isinstance(it, dict):
            out.append(it)
    return out


def render_clause(pid: str) -> None:
    q = backend().queries
    p = _plain(_call(q.provision, pid))
    if not p:
        st.warning(f"没有编号为 {pid} 的条文。No clause with id {pid}.")
        return
    try:
        nb = _plain(_call(q.neighbourhood, pid)) or {}
    except Exception:  # noqa: BLE001 - show the clause even when its neighbourhood cannot be read
        nb = {}
    doc_id = _g(p, "doc_id", default=pid.split("/")[0])
    doc = docs_by_id().get(doc_id, {})
    current = doc.get("current", True)
    badge = ("<span class='yg-badge yg-current'>现行 in force</span>" if current else
             "<span class='yg-badge yg-old'>旧版 superseded</span>")
    title = _g(doc, "title", default=_g(p, "doc_title", default=doc_id))
    version = _g(doc, "version", default=_g(p, "version", default=""))
    path = _g(p, "path", default=[]) or []
    st.markdown(f"<div class='yg-cite' style='font-size:1.35rem'>{_esc(_g(p, 'citation'))}{badge}</div>"
                f"<div class='yg-crumb'>{_esc(title)}{'（' + _esc(version) + ' 版）' if version else ''}"
                f"{' › ' + ' › '.join(_esc(x) for x in path) if path else ''}</div>", unsafe_allow_html=True)

    left, right = st.columns([3, 2], gap="large")
    with left:
        _render_context(p, doc_id)
        translation = _ids_of(_g(nb, "translation", "translations", default=[]))
        en_text = _g(p, "text_en") or (_g(translation[0], "text") if translation
                                       and str(_g(translation[0], "id", default="")).split("/")[0].endswith(".en")
                                       else None)
        if en_text:
            st.markdown("**官方英文本 Official English text**")
            st.markdown(f"<div class='yg-en' style='border:0'>{_esc(en_text)}</div>", unsafe_allow_html=True)
        elif doc.get("lang", "zh") == "zh":
            st.caption("此文件无官方英文本。No official English text exists for this instrument.")
    with right:
        _render_links(pid, nb)

    st.markdown("#### 版本与修改 Versions & changes")
    _render_versions(p, nb)
    with st.expander("关系图 Graph view", expanded=True):
        st.graphviz_chart(neighbourhood_dot(p, nb), width="content")


def _render_context(p: dict, doc_id: str) -> None:
    """The clause with its article and the articles around it, so it reads as it does in the statute."""
    tree = _call(_tree, backend(), _bkey(), doc_id)
    articles = [a for a in tree if a.get("kind") in ("article", "section")]
    art_id = p.get("id")
    for a in articles:
        if p.get("id", "").startswith(a.get("id", "") + "/"):
            art_id = a.get("id")
            break
    idx = next((i for i, a in enumerate(articles) if a.get("id") == art_id), None)
    article = articles[idx] if idx is not None else p
    body = _esc(article.get("text") or p.get("text"))
    if article is not p and p.get("text") and p.get("id") != article.get("id"):
        body = body.replace(_esc(p["text"]), f"<span class='yg-focus'>{_esc(p['text'])}</span>", 1)
    st.markdown(f"<div class='yg-card'><div class='yg-meta'>{_esc(article.get('citation'))}</div>"
                f"<div class='yg-clause'>{body}</div></div>", unsafe_allow_html=True)
    if idx is not None:
        cols = st.columns(2)
        if idx > 0:
            prev = articles[idx - 1]
            with cols[0]:
                _clause_button(f"← {prev.get('label') or prev.get('citation')}", prev["id"], key="prev_art")
        if idx + 1 < len(articles):
            nxt = articles[idx + 1]
            with cols[1]:
                _clause_button(f"{nxt.get('label') or nxt.get('citation')} →", nxt["id"], key="next_art")


def _render_links(pid: str, nb: dict) -> None:
    groups = [
        ("penalties", "罚则 Penalties for breach"),
        ("sanctions", "本条处罚的条款 Clauses this penalty sanctions"),
        ("cites", "引用 Cites"),
        ("cited_by", "被引用 Cited by"),
    ]
    shown = False
    for key, heading in groups:
        items = _ids_of(nb.get(key))
        if not items:
            continue
        shown = True
        st.markdown(f"**{heading}**")
        for j, it in enumerate(items[:12]):
            target = _g(it, "id", "provision_id")
            label = _g(it, "citation", default=target)
            if it.get("method") == "inferred":
                label = f"{label}（推定 inferred from the conduct described, not cited by number）"
            if target and "/" in str(target):
                _clause_button(label, target, key=f"nb_{key}_{j}", help=_g(it, "text", default=None))
            else:
                st.markdown(f"- {_esc(label)}")
    obligations = _ids_of(nb.get("obligations"))
    if obligations:
        shown = True
        st.markdown("**义务 Obligations from this clause**")
        for ob in obligations[:10]:
            zh, en = export.MODALITY_LABELS.get(ob.get("modality", ""), ("", ""))
            actors = "、".join(export.label("actor", a) for a in export._ids(ob.get("actors")))
            who = f" · {_esc(actors)}" if actors else ""
            st.markdown(f"- **{zh} {en}**{who}：{_esc(_g(ob, 'requirement_zh', 'action', default=''))}")
    if not shown:
        st.caption("本条无已知引用、罚则或义务。No known cross-references, penalties or obligations for this clause.")


def _render_versions(p: dict, nb: dict) -> None:
    """The same clause in the instrument's other versions, and what changed between them."""
    versions = [v for v in _ids_of(_g(nb, "versions", default=[])) if v.get("doc_id")]
    if not versions:
        st.caption("该文件在语料中只有一个版本。The corpus holds one version of this instrument.")
        return
    docs = docs_by_id()
    here = docs.get(p.get("doc_id"), {})
    for j, v in enumerate(versions):
        d = docs.get(v["doc_id"], {})
        other = v.get("provision") or {}
        older = (v.get("version") or "") < (here.get("version") or "")
        tag = "现行 current" if v.get("current") else "旧版 superseded"
        st.markdown(f"**{_esc(_g(d, 'title', default=v['doc_id']))}** · {_esc(v.get('version') or '')} · {tag}")
        if not other:
            st.caption("该版本没有此条。This version has no clause at this position.")
            continue
        if v.get("same_text") or (other.get("text") or "") == (p.get("text") or ""):
            st.caption(f"{_esc(other.get('citation'))}：文字未变 Text unchanged")
        else:
            old, new = (other.get("text", ""), p.get("text", "")) if older else (p.get("text", ""), other.get("text", ""))
            st.caption(f"{'旧版 → 本版' if older else '本版 → 新版'} changes "
                       "(删除 deleted in red, 新增 inserted in green)")
            st.markdown(diff_html(old, new), unsafe_allow_html=True)
        if other.get("id"):
            _clause_button(f"打开此版本 Open this version ({v.get('version') or v['doc_id']})", other["id"],
                           key=f"ver_{j}")


def diff_html(old: str, new: str) -> str:
    """Character-level change marks (deleted red, inserted green): what a lawyer compares by eye."""
    from ingest.diff import char_segments

    out = []
    for op, text in char_segments(old, new):
        if op == "delete":
            out.append(f"<del style='background:#FDECEA;color:#A12622'>{_esc(text)}</del>")
        elif op == "insert":
            out.append(f"<ins style='background:#E6F4EA;color:#1E6B34;text-decoration:none'>{_esc(text)}</ins>")
        else:
            out.append(_esc(text))
    return f"<div class='yg-card'><div class='yg-clause'>{''.join(out)}</div></div>"


def _dot_label(text: Any, width: int = 18) -> str:
    s = re.sub(r"\s+", " ", str(text or ""))
    if sum(ord(ch) < 0x2E80 for ch in s) > len(s) / 2:  # mostly Latin: wrap at spaces, twice as wide
        import textwrap

        lines = textwrap.wrap(s, width * 2)[:3]
    else:
        lines = [s[i:i + width] for i in range(0, min(len(s), width * 3), width)]
    return "\\n".join(x.replace('"', "'").replace("\\", "") for x in lines)


def _dot_width(label: str, fontsize: int = 10) -> str:
    """Node width in inches: the in-browser Graphviz measures CJK glyphs as Latin ones and would clip them."""
    units = max((sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in line) for line in label.split("\\n")), default=1)
    return f"{units * fontsize / 72 * 1.1 + 0.3:.2f}"


def neighbourhood_dot(p: dict, nb: dict) -> str:
    """DOT for a clause and what it connects to (rendered in the browser; no network)."""
    lines = ['digraph G {', 'rankdir=LR; bgcolor="transparent";',
             'node [shape=box, style="rounded,filled", fontname="Noto Sans CJK SC", fontsize=10, '
             'fillcolor="#F7F9FC", color="#9AA5B1"];', 'edge [fontname="Noto Sans CJK SC", fontsize=9, color="#6B7280"];']
    center = "c"
    lab = _dot_label(p.get("citation"), 16)
    lines.append(f'{center} [label="{lab}", width={_dot_width(lab)}, fillcolor="#1F3864", fontcolor="white"];')
    n = 0
    for key, edge, colour in (("cites", "引用 cites", "#F7F9FC"), ("cited_by", "被引 cited by", "#F7F9FC"),
                              ("penalties", "罚则 penalty", "#FDECEA"), ("sanctions", "处罚 sanctions", "#FFF7D6"),
                              ("translation", "英文 English", "#E8F0FE"), ("versions", "版本 version", "#EEE")):
        for it in _ids_of(nb.get(key))[:8]:
            if key == "versions":
                if not it.get("provision"):
                    continue
                it = {"citation": f"{(it.get('version') or '')[:4]} 版 {it['provision'].get('citation', '')}"}
            n += 1
            lab = _dot_label(_g(it, "citation", "title", "id"), 16)
            lines.append(f'n{n} [label="{lab}", width={_dot_width(lab)}, fillcolor="{colour}"];')
            if key in ("cited_by", "penalties"):
                lines.append(f'n{n} -> {center} [label="{edge}"];')
            else:
                lines.append(f'{center} -> n{n} [label="{edge}"];')
    shared: dict[tuple[str, str], str] = {}  # one node per actor/stage, however many obligations point at it
    for ob in _ids_of(nb.get("obligations"))[:6]:
        n += 1
        ob_node = f"n{n}"
        zh, _en = export.MODALITY_LABELS.get(ob.get("modality", ""), ("义务", ""))
        lab = f'{zh}\\n{_dot_label(_g(ob, "requirement_zh", "action", default=""), 14)}'
        lines.append(f'{ob_node} [label="{lab}", width={_dot_width(lab)}, shape=note, fillcolor="#E6F4EA"];')
        lines.append(f'{ob_node} -> {center} [label="出自 derived from"];')
        links = [("actor", a, "ellipse", "约束 binds") for a in export._ids(ob.get("actors"))[:3]]
        links += [("stage", s, "cds", "阶段 stage") for s in export._ids(ob.get("stages") or ob.get("stage_ids"))[:2]]
        for kind, ident, shape, edge in links:  # actor and stage nodes are shared by every obligation that names them
            if (kind, ident) not in shared:
                n += 1
                shared[(kind, ident)] = f"n{n}"
                lab = _dot_label(export.label(kind, ident).split(" (")[0], 12)
                lines.append(f'n{n} [label="{lab}", width={_dot_width(lab)}, shape={shape}, fillcolor="#FFFFFF"];')
            lines.append(f'{ob_node} -> {shared[(kind, ident)]} [label="{edge}"];')
    lines.append("}")
    return "\n".join(lines)


# ---------------------------------------------------------------- page: obligations


def _filters_ui() -> dict[str, Any]:
    actors = [("", "全部 All")] + export.taxonomy_options("actor")
    stages = [("", "全部 All")] + export.taxonomy_options("stage")
    docs = [("", "全部 All")] + [(d["id"], f"{_g(d, 'short_title', 'title', default=d['id'])} · {d['id']}")
                                 for d in docs_by_id().values() if d.get("lang", "zh") == "zh"]
    c1, c2, c3 = st.columns(3)
    actor = c1.selectbox("主体 Actor", [a for a, _ in actors], format_func=dict(actors).get, key="f_actor")
    stage = c2.selectbox("阶段 Stage", [s for s, _ in stages], format_func=dict(stages).get, key="f_stage")
    modality = c3.selectbox("类型 Modality", list(MODALITIES), format_func=MODALITIES.get, key="f_modality")
    c4, c5, c6 = st.columns(3)
    doc = c4.selectbox("文件 Document", [d for d, _ in docs], format_func=dict(docs).get, key="f_doc")
    level = c5.selectbox("层级 Level", list(LEVELS), format_func=LEVELS.get, key="f_level")
    with c6:
        current_only = st.checkbox("仅现行版本 Current versions only", value=True, key="f_current")
        inherited = st.checkbox("含上位角色义务 Include inherited roles", value=True, key="f_inherited",
                                help="例如注册人也承担“注册人、备案人”的义务。E.g. a registrant also bears the duties of "
                                     "registrants-or-filers.")
    return {"actor": actor or None, "stage": stage or None, "modality": modality or None, "doc": doc or None,
            "level": level or None, "current_only": current_only, "include_inherited": inherited}


PAGE_SIZE = 100


@st.cache_data(ttl=300, show_spinner=False, max_entries=128)
def _obligation_page(_b: Backend, key: str, filters: tuple, offset: int) -> list[dict]:
    """One page of the explorer (PAGE_SIZE + 1 rows, the extra one says whether a next page exists)."""
    return [_plain(o) for o in _b.queries.obligations(**dict(filters), limit=PAGE_SIZE + 1, offset=offset)]


@st.cache_data(ttl=300, show_spinner=False, max_entries=32)
def _obligations(_b: Backend, key: str, filters: tuple) -> list[dict]:
    return [_plain(o) for o in export.fetch_obligations(_b.queries, **dict(filters))]


@st.cache_data(ttl=300, show_spinner=False, max_entries=32)
def checklist_bytes(_b: Backend, key: str, filters: tuple, fmt: str) -> bytes:
    f = dict(filters)
    rows = export.rows_from_obligations(_obligations(_b, key, filters))
    facts = register.facts(_b.queries, {r.doc_id for r in rows})
    return export.render(rows, fmt, filters=f, facts=facts)


def checklist_file(b: Backend, filters: tuple, fmt: str):
    """A deferred download: the file is built only when the button is pressed, not on every rerun."""
    return lambda: checklist_bytes(b, str(id(b)), filters, fmt)


def page_obligations() -> None:
    st.markdown("### 义务清单 Obligation explorer")
    f = _filters_ui()
    key = tuple(sorted(f.items()))
    if st.session_state.get("_ob_filters") != key:  # new filters: back to the first page
        st.session_state["_ob_filters"] = key
        st.session_state["ob_offset"] = 0
    offset = st.session_state.get("ob_offset", 0)
    with st.spinner("查询义务 Querying obligations…"):
        try:
            obs = _call(_obligation_page, backend(), _bkey(), key, offset)
        except ValueError as exc:  # an unknown actor/stage name typed through a query parameter
            st.error(str(exc))
            return
    more = len(obs) > PAGE_SIZE
    obs = obs[:PAGE_SIZE]
    if not obs:
        st.info("没有符合筛选条件的义务。No obligations match these filters.")
        return
    if offset == 0 and not more:
        st.markdown(f"**{len(obs)}** 项义务 obligations")
    else:
        st.markdown(f"第 {offset + 1}–{offset + len(obs)} 项 · obligations **{offset + 1}–{offset + len(obs)}**"
                    + ("（下一页还有 more on the next page）" if more else ""))
    rows = export.rows_from_obligations(obs)
    table = [{
        "出处 Citation": r.citation,
        "类型 Modality": r.cell("modality"),
        "主体 Actor": "、".join(a.split(" (")[0] for a in r.actors) + (" ⇡" if r.inherited_via else ""),
        "阶段 Stage": "、".join(s.split(" (")[0] for s in r.stages),
        "要求 Requirement": r.requirement_zh or r.clause[:120],
        "罚则 Penalties": "；".join(p.citation for p in r.penalties),
        "文件 Document": f"{r.doc_title} {r.version}",
    } for r in rows]
    st.dataframe(table, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(table)))
    nav = st.columns([1.4, 1.4, 5]) if (offset or more) else None
    if nav:
        nav[0].button("← 上一页 Previous", key="ob_prev", disabled=offset == 0,
                      on_click=lambda: st.session_state.update(ob_offset=max(0, offset - PAGE_SIZE)))
        nav[1].button("下一页 Next →", key="ob_next", disabled=not more,
                      on_click=lambda: st.session_state.update(ob_offset=offset + PAGE_SIZE))

    _export_buttons(key)

    st.markdown("#### 查看义务 Inspect an obligation")
    by_id = {r.id: r for r in rows}
    chosen = st.selectbox("义务 Obligation", list(by_id), key="ob_pick",
                          format_func=lambda i: f"{by_id[i].citation} · {(by_id[i].requirement_zh or by_id[i].clause)[:40]}")
    r = by_id[chosen]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(
            f"<div class='yg-card'><span class='yg-cite'>{_esc(r.citation)}</span>"
            f"<div class='yg-meta'>{_esc(r.doc_title)}（{_esc(r.version)} 版） · {_esc(r.cell('modality'))}</div>"
            f"<div style='margin-top:.4rem'><b>{_esc(r.requirement_zh)}</b></div>"
            + (f"<div class='yg-meta'><i>{_esc(r.requirement_en)}</i></div>" if r.requirement_en else "")
            + f"<div class='yg-clause'>{_esc(r.clause)}</div>"
            f"<div class='yg-meta' style='margin-top:.4rem'>主体 Actor: {_esc('、'.join(r.actors))}"
            + (f"（经 via {_esc(export.label('actor', r.inherited_via))}）" if r.inherited_via else "")
            + f" · 阶段 Stage: {_esc('、'.join(r.stages))}</div>"
            + (f"<div class='yg-meta'>罚则 Penalties: {_esc('；'.join(p.line() for p in r.penalties))}</div>" if r.penalties else "")
            + "</div>", unsafe_allow_html=True)
        _clause_button("在上下文中查看 Open clause in context", r.provision_id, key="ob_open")
    with right:
        ob = next(o for o in obs if o.get("id") == r.id)
        p = {"citation": r.citation, "id": r.provision_id}
        nb = {"obligations": [ob], "penalties": [{"citation": p.citation} for p in r.penalties]}
        st.graphviz_chart(neighbourhood_dot(p, nb), width="content")


def _export_buttons(key: tuple) -> None:
    st.markdown("#### 导出清单 Export checklist")
    f = dict(key)
    stem = "-".join(x for x in ("checklist", f.get("actor"), f.get("stage"), f.get("doc")) if x)
    cols = st.columns(4)
    labels = {"xlsx": "Excel (.xlsx)", "docx": "Word (.docx)", "csv": "CSV", "json": "JSON"}
    for c, fmt in zip(cols, export.FORMATS):
        with c:
            st.download_button(f"⬇ {labels[fmt]}", data=checklist_file(backend(), key, fmt), file_name=f"{stem}.{fmt}",
                               mime=export.MEDIA_TYPES[fmt], key=f"dl_{fmt}", width="stretch", on_click="ignore")


# ---------------------------------------------------------------- page: corpus


def page_corpus() -> None:
    st.markdown("### 语料 Corpus")
    stats = _call(_stats, backend(), _bkey())
    docs = list(docs_by_id().values())
    if not docs:
        st.warning("知识图谱为空：请先运行 `yigui ingest`。The knowledge graph is empty: run `yigui ingest` first.")
        return
    nodes, edges = stats.get("nodes") or {}, stats.get("edges") or {}
    metrics = [("文件 Documents", stats.get("documents", len(docs))),
               ("条款 Provisions", nodes.get("Provision")),
               ("义务 Obligations", nodes.get("Obligation")),
               ("引用 Cross-references", edges.get("CITES")),
               ("罚则关联 Penalty links", edges.get("PENALIZES"))]
    metrics = [(lbl, v) for lbl, v in metrics if isinstance(v, (int, float))]
    for c, (lbl, v) in zip(st.columns(len(metrics)), metrics):
        c.metric(lbl, f"{v:,}")

    table = []
    rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    for d in sorted(docs, key=lambda d: (rank.get(d.get("level") or "", 99), d.get("id") or "")):
        table.append({
            "文件 Document": _g(d, "title", default=d.get("id")),
            "编号 Id": d.get("id"),
            "层级 Level": LEVELS.get(d.get("level") or "", d.get("level") or ""),
            "版本 Version": _g(d, "version", "effective", default=""),
            "状态 Status": ("现行 current" if d.get("current", True) else "旧版 superseded")
            + ("" if d.get("status") in (None, "in_force", "unknown") else f" · {d.get('status')}"),
            "语言 Lang": d.get("lang", "zh"),
            "条款 Provisions": _g(d, "provisions", "provision_count", default=None),
        })
    st.markdown("#### 已收录文件 Documents loaded")
    small = st.column_config.TextColumn(width="small")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "文件 Document": st.column_config.TextColumn(width="large"),
        "编号 Id": st.column_config.TextColumn(width="medium"), "版本 Version": small, "语言 Lang": st.column_config.TextColumn(width=40),
        "条款 Provisions": st.column_config.NumberColumn(width="small")})

    try:
        from ingest.registry import missing_instruments

        missing = missing_instruments(set(docs_by_id()), {d.get("instrument") for d in docs if d.get("instrument")})
    except Exception:  # noqa: BLE001 - the registry is optional context, the page still shows what is loaded
        return
    st.markdown(f"#### 尚未收录 Registered but not loaded ({len(missing)})")
    st.caption("登记在册但无正文的文件：涉及这些文件的问题无法引用其条文。Registered instruments with no text "
               "loaded: questions that turn on them cannot cite their clauses.")
    if missing:
        st.dataframe([{"文件 Instrument": m.get("title"),
                       "英文 English": m.get("title_en") or "",
                       "层级 Level": LEVELS.get(m.get("level") or "", m.get("level") or ""),
                       "发布 Issuer": m.get("issuer") or "",
                       "生效 Effective": str(m.get("effective") or ""),
                       "文号 Number": m.get("doc_number") or ""} for m in missing],
                     hide_index=True, width="stretch")
    else:
        st.success("登记的文件均已收录。Every registered instrument is loaded.")


# ---------------------------------------------------------------- main


def _apply_query_params() -> None:
    """Deep links a lawyer can share: ?clause=pipl/art29, ?page=obligations&actor=md-registrant&stage=post-market."""
    qp = st.query_params
    if st.session_state.get("_qp_seen") == dict(qp):
        return
    st.session_state["_qp_seen"] = dict(qp)
    if qp.get("clause"):
        open_clause(qp["clause"])
    elif qp.get("page") in PAGES:
        st.session_state["page"] = qp["page"]
    for param, kind, state in (("actor", "actor", "f_actor"), ("stage", "stage", "f_stage")):
        if qp.get(param):
            st.session_state[state] = export.resolve_taxonomy_id(kind, qp[param])
    for param, state in (("modality", "f_modality"), ("doc", "f_doc"), ("level", "f_level")):
        if qp.get(param):
            st.session_state[state] = qp[param]
    if qp.get("q"):
        st.session_state["question"] = qp["q"]
        st.session_state["ask_now"] = True


APP_PASSWORD_ENV = "YIGUI_APP_PASSWORD"


def _signed_in() -> bool:
    """With YIGUI_APP_PASSWORD set, nothing is shown until the password is given (compared in constant time); without
    it the app is for this machine only (`yigui ui` binds loopback and refuses another --host without a password)."""
    import hmac

    want = os.environ.get(APP_PASSWORD_ENV, "")
    if not want or st.session_state.get("_signed_in"):
        return True
    st.markdown("<div class='yg-brand'>医规 YiGui</div>", unsafe_allow_html=True)
    given = st.text_input("密码 Password", type="password", key="_password")
    if given:
        if hmac.compare_digest(given.encode(), want.encode()):
            st.session_state["_signed_in"] = True
            st.session_state.pop("_password", None)
            return True
        st.error("密码不正确。Wrong password.")
    return False


def main() -> None:
    st.set_page_config(page_title="医规 YiGui", page_icon="⚖️", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    if not _signed_in():
        st.stop()
    _apply_query_params()
    st.session_state.setdefault("page", "ask")
    with st.sidebar:
        st.markdown("<div class='yg-brand'>医规 YiGui</div>"
                    "<div class='yg-sub'>医疗人工智能法规知识图谱<br>Medical-AI regulation, clause by clause</div>",
                    unsafe_allow_html=True)
        st.radio("页面 Page", list(PAGES), format_func=PAGES.get, key="page", label_visibility="collapsed")
        st.divider()
        st.caption("引用均指向具体条款并附原文；请以官方文本为准。Every citation points to a clause with its "
                   "verbatim text; the official publication prevails.")
    {"ask": page_ask, "clause": page_clause, "obligations": page_obligations, "corpus": page_corpus}[
        st.session_state["page"]]()


if __name__ == "__main__":
    main()
