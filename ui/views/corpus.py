"""Page: what the corpus holds and which registered instruments are not loaded."""
from __future__ import annotations


import streamlit as st

from ui.views.common import LEVELS, backend, bkey, cached_stats, call, docs_by_id, first

# ---------------------------------------------------------------- page: corpus


def page_corpus() -> None:
    st.markdown("### 语料 Corpus")
    stats = call(cached_stats, backend(), bkey())
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
            "文件 Document": first(d, "title", default=d.get("id")),
            "编号 Id": d.get("id"),
            "层级 Level": LEVELS.get(d.get("level") or "", d.get("level") or ""),
            "版本 Version": first(d, "version", "effective", default=""),
            "状态 Status": ("现行 current" if d.get("current", True) else "旧版 superseded")
            + ("" if d.get("status") in (None, "in_force", "unknown") else f" · {d.get('status')}")
            + (f" · 文本不完整 incomplete (缺 missing {len(d.get('missing_articles') or [])})" if d.get("incomplete") else ""),
            "语言 Lang": d.get("lang", "zh"),
            "条款 Provisions": first(d, "provisions", "provision_count", default=None),
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
