"""Page: the obligation explorer (filters, pages with the total, one obligation in detail) and register downloads."""
from __future__ import annotations

from typing import Any

import streamlit as st

from graph.obligations.model import ObligationPage
from ui import export
from ui.core import Backend, Core, InvalidFilter
from ui.views.clause import neighbourhood_dot
from ui.views.common import LEVELS, MODALITIES, backend, bkey, call, clause_button, docs_by_id, esc, first

# ---------------------------------------------------------------- page: obligations


def _filters_ui() -> dict[str, Any]:
    actors = [("", "全部 All")] + export.taxonomy_options("actor")
    stages = [("", "全部 All")] + export.taxonomy_options("stage")
    docs = [("", "全部 All")] + [(d["id"], f"{first(d, 'short_title', 'title', default=d['id'])} · {d['id']}")
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
        as_of = st.date_input("适用日期 As of", value=None, key="f_as_of", format="YYYY-MM-DD",
                              help="该日有效的版本（替代“仅现行版本”）。The versions in force on that date.")
        inherited = st.checkbox("含上位角色义务 Include inherited roles", value=True, key="f_inherited",
                                help="例如注册人也承担“注册人、备案人”的义务。E.g. a registrant also bears the duties of "
                                     "registrants-or-filers.")
    return {"actor": actor or None, "stage": stage or None, "modality": modality or None, "doc": doc or None,
            "level": level or None, "current_only": current_only, "include_inherited": inherited,
            "as_of": as_of.isoformat() if as_of else None}


PAGE_SIZE = 100


@st.cache_data(ttl=300, show_spinner=False, max_entries=128)
def _obligation_page(_b: Backend, key: str, filters: tuple, offset: int) -> ObligationPage:
    """One page of the explorer, with the total (the same call as `GET /v1/obligations`)."""
    core = Core(_b)
    return core.obligations(core.filters(**dict(filters)), limit=PAGE_SIZE, offset=offset)


@st.cache_data(ttl=300, show_spinner=False, max_entries=32)
def checklist_bytes(_b: Backend, key: str, filters: tuple, fmt: str) -> bytes:
    """The register file `yigui checklist` and `POST /v1/checklists` give for these filters."""
    core = Core(_b)
    return core.register(core.filters(**dict(filters)), fmt).data


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
            page = call(_obligation_page, backend(), bkey(), key, offset)
        except InvalidFilter as exc:  # a value no widget offers (a stale link, a document since removed)
            st.error(f"筛选条件无效 Invalid filter: {exc}")
            return
    obs = page.items
    more = page.next_offset is not None
    if not obs:
        st.info("没有符合筛选条件的义务。No obligations match these filters.")
        return
    st.markdown(f"第 {offset + 1}–{offset + len(obs)} 项，共 **{page.total}** 项义务 · obligations "
                f"{offset + 1}–{offset + len(obs)} of **{page.total}**")
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
            f"<div class='yg-card'><span class='yg-cite'>{esc(r.citation)}</span>"
            f"<div class='yg-meta'>{esc(r.doc_title)}（{esc(r.version)} 版） · {esc(r.cell('modality'))}</div>"
            f"<div style='margin-top:.4rem'><b>{esc(r.requirement_zh)}</b></div>"
            + (f"<div class='yg-meta'><i>{esc(r.requirement_en)}</i></div>" if r.requirement_en else "")
            + f"<div class='yg-clause'>{esc(r.clause)}</div>"
            f"<div class='yg-meta' style='margin-top:.4rem'>主体 Actor: {esc('、'.join(r.actors))}"
            + (f"（经 via {esc(export.label('actor', r.inherited_via))}）" if r.inherited_via else "")
            + f" · 阶段 Stage: {esc('、'.join(r.stages))}</div>"
            + (f"<div class='yg-meta'>罚则 Penalties: {esc('；'.join(p.line() for p in r.penalties))}</div>" if r.penalties else "")
            + "</div>", unsafe_allow_html=True)
        clause_button("在上下文中查看 Open clause in context", r.provision_id, key="ob_open")
    with right:
        ob = next(o for o in obs if o.id == r.id).model_dump()
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
