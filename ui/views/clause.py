"""Page: a clause in context — its document, what it cites and what cites it, penalties, versions, a graph."""
from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import export
from ui.core import Core
from ui.views.common import backend, bkey, cached_tree, call, clause_button, docs_by_id, esc, first, plain, taxonomy_ids

# ---------------------------------------------------------------- page: clause in context


def _resolve(text: str) -> str | None:
    return call(Core(backend()).resolve, text)


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
        it = plain(it)
        if isinstance(it, str):
            out.append({"id": it, "citation": it})
        elif isinstance(it, dict):
            out.append(it)
    return out


def render_clause(pid: str) -> None:
    p = plain(call(Core(backend()).provision, pid))
    if not p:
        st.warning(f"没有编号为 {pid} 的条文。No clause with id {pid}.")
        return
    nb = p.pop("neighbourhood", {})
    doc_id = first(p, "doc_id", default=pid.split("/")[0])
    doc = docs_by_id().get(doc_id, {})
    current = doc.get("current", True)
    badge = ("<span class='yg-badge yg-current'>现行 in force</span>" if current else
             "<span class='yg-badge yg-old'>旧版 superseded</span>")
    if doc.get("incomplete"):
        badge += "<span class='yg-badge yg-old'>文本不完整 incomplete text</span>"
    title = first(doc, "title", default=first(p, "doc_title", default=doc_id))
    version = first(doc, "version", default=first(p, "version", default=""))
    path = first(p, "path", default=[]) or []
    st.markdown(f"<div class='yg-cite' style='font-size:1.35rem'>{esc(first(p, 'citation'))}{badge}</div>"
                f"<div class='yg-crumb'>{esc(title)}{'（' + esc(version) + ' 版）' if version else ''}"
                f"{' › ' + ' › '.join(esc(x) for x in path) if path else ''}</div>", unsafe_allow_html=True)

    left, right = st.columns([3, 2], gap="large")
    with left:
        _render_context(p, doc_id)
        translation = _ids_of(first(nb, "translation", "translations", default=[]))
        en_text = first(p, "text_en") or (first(translation[0], "text") if translation
                                       and str(first(translation[0], "id", default="")).split("/")[0].endswith(".en")
                                       else None)
        if en_text:
            st.markdown("**官方英文本 Official English text**")
            st.markdown(f"<div class='yg-en' style='border:0'>{esc(en_text)}</div>", unsafe_allow_html=True)
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
    tree = call(cached_tree, backend(), bkey(), doc_id)
    articles = [a for a in tree if a.get("kind") in ("article", "section")]
    art_id = p.get("id")
    for a in articles:
        if p.get("id", "").startswith(a.get("id", "") + "/"):
            art_id = a.get("id")
            break
    idx = next((i for i, a in enumerate(articles) if a.get("id") == art_id), None)
    article = articles[idx] if idx is not None else p
    body = esc(article.get("text") or p.get("text"))
    if article is not p and p.get("text") and p.get("id") != article.get("id"):
        body = body.replace(esc(p["text"]), f"<span class='yg-focus'>{esc(p['text'])}</span>", 1)
    st.markdown(f"<div class='yg-card'><div class='yg-meta'>{esc(article.get('citation'))}</div>"
                f"<div class='yg-clause'>{body}</div></div>", unsafe_allow_html=True)
    if idx is not None:
        cols = st.columns(2)
        if idx > 0:
            prev = articles[idx - 1]
            with cols[0]:
                clause_button(f"← {prev.get('label') or prev.get('citation')}", prev["id"], key="prev_art")
        if idx + 1 < len(articles):
            nxt = articles[idx + 1]
            with cols[1]:
                clause_button(f"{nxt.get('label') or nxt.get('citation')} →", nxt["id"], key="next_art")


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
            target = first(it, "id", "provision_id")
            label = first(it, "citation", default=target)
            if it.get("method") == "inferred":
                label = f"{label}（推定 inferred from the conduct described, not cited by number）"
            if target and "/" in str(target):
                clause_button(label, target, key=f"nb_{key}_{j}", help=first(it, "text", default=None))
            else:
                st.markdown(f"- {esc(label)}")
    obligations = _ids_of(nb.get("obligations"))
    if obligations:
        shown = True
        st.markdown("**义务 Obligations from this clause**")
        for ob in obligations[:10]:
            zh, en = export.MODALITY_LABELS.get(ob.get("modality", ""), ("", ""))
            actors = "、".join(export.label("actor", a) for a in taxonomy_ids(ob.get("actors")))
            who = f" · {esc(actors)}" if actors else ""
            st.markdown(f"- **{zh} {en}**{who}：{esc(first(ob, 'requirement_zh', 'action', default=''))}")
    if not shown:
        st.caption("本条无已知引用、罚则或义务。No known cross-references, penalties or obligations for this clause.")


def _render_versions(p: dict, nb: dict) -> None:
    """The same clause in the instrument's other versions, and what changed between them."""
    versions = [v for v in _ids_of(first(nb, "versions", default=[])) if v.get("doc_id")]
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
        st.markdown(f"**{esc(first(d, 'title', default=v['doc_id']))}** · {esc(v.get('version') or '')} · {tag}")
        if not other:
            st.caption("该版本没有此条。This version has no clause at this position.")
            continue
        if v.get("same_text") or (other.get("text") or "") == (p.get("text") or ""):
            st.caption(f"{esc(other.get('citation'))}：文字未变 Text unchanged")
        else:
            old, new = (other.get("text", ""), p.get("text", "")) if older else (p.get("text", ""), other.get("text", ""))
            st.caption(f"{'旧版 → 本版' if older else '本版 → 新版'} changes "
                       "(删除 deleted in red, 新增 inserted in green)")
            st.markdown(diff_html(old, new), unsafe_allow_html=True)
        if other.get("id"):
            clause_button(f"打开此版本 Open this version ({v.get('version') or v['doc_id']})", other["id"],
                           key=f"ver_{j}")


def diff_html(old: str, new: str) -> str:
    """Character-level change marks (deleted red, inserted green): what a lawyer compares by eye."""
    from ingest.diff import char_segments

    out = []
    for op, text in char_segments(old, new):
        if op == "delete":
            out.append(f"<del style='background:#FDECEA;color:#A12622'>{esc(text)}</del>")
        elif op == "insert":
            out.append(f"<ins style='background:#E6F4EA;color:#1E6B34;text-decoration:none'>{esc(text)}</ins>")
        else:
            out.append(esc(text))
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
            lab = _dot_label(first(it, "citation", "title", "id"), 16)
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
        lab = f'{zh}\\n{_dot_label(first(ob, "requirement_zh", "action", default=""), 14)}'
        lines.append(f'{ob_node} [label="{lab}", width={_dot_width(lab)}, shape=note, fillcolor="#E6F4EA"];')
        lines.append(f'{ob_node} -> {center} [label="出自 derived from"];')
        links = [("actor", a, "ellipse", "约束 binds") for a in taxonomy_ids(ob.get("actors"))[:3]]
        links += [("stage", s, "cds", "阶段 stage") for s in taxonomy_ids(ob.get("stages") or ob.get("stage_ids"))[:2]]
        for kind, ident, shape, edge in links:  # actor and stage nodes are shared by every obligation that names them
            if (kind, ident) not in shared:
                n += 1
                shared[(kind, ident)] = f"n{n}"
                lab = _dot_label(export.label(kind, ident).split(" (")[0], 12)
                lines.append(f'n{n} [label="{lab}", width={_dot_width(lab)}, shape={shape}, fillcolor="#FFFFFF"];')
            lines.append(f'{ob_node} -> {shared[(kind, ident)]} [label="{edge}"];')
    lines.append("}")
    return "\n".join(lines)
