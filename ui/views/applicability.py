"""Page: applicability — describe the organisation and product, get the obligations that apply and why."""
from __future__ import annotations

import streamlit as st

from corpus import taxonomy
from graph.applicability import ACTIVITIES, Profile
from ui.core import Core, InvalidFilter
from ui.views.common import backend, call

FACTS = {  # (section, field): label — the profile's yes/no facts, in the order a compliance officer answers them
    ("org", "network_service"): "提供网络服务（App、网站、平台）Offers services over a network",
    ("org", "ciio"): "关键信息基础设施运营者 Identified as a CIIO",
    ("org", "large_platform"): "大型平台（用户数量巨大）Very large platform",
    ("org", "overseas"): "境外主体 Established outside mainland China",
    ("product", "network_connected"): "产品联网 Product is network-connected",
    ("product", "genai_public"): "向公众提供生成式AI服务 GenAI offered to the public",
    ("product", "deep_synthesis"): "深度合成 Deep synthesis",
    ("product", "algorithm_recommendation"): "算法推荐 Algorithm recommendation",
    ("product", "public_opinion"): "具有舆论属性或社会动员能力 Public-opinion attributes",
    ("data", "personal_information"): "个人信息 Personal information",
    ("data", "health"): "医疗健康信息 Health data",
    ("data", "minors_under_14"): "不满十四周岁未成年人信息 Data of children under 14",
    ("data", "biometric"): "生物识别信息 Biometric data",
    ("data", "human_genetic_resources"): "人类遗传资源 Human genetic resources",
    ("data", "important_data"): "重要数据 Important data",
}


def _profile_form() -> Profile | None:
    actors = taxonomy.actors()
    with st.form("profile_form", border=False):
        name = st.text_input("名称 Profile name", value="我的产品 My product", key="ap_name")
        roles = st.multiselect("角色 Roles", list(actors.ids()), key="ap_roles",
                               format_func=lambda a: f"{actors[a]['zh']} ({actors[a]['en']})")
        c1, c2, c3 = st.columns(3)
        cls = c1.selectbox("器械类别 Device class", ["", "I", "II", "III"], key="ap_class",
                           format_func=lambda c: c or "不是医疗器械 Not a device")
        sw = c2.selectbox("软件 Software", ["", "standalone", "embedded"], key="ap_software",
                          format_func=lambda c: {"": "—", "standalone": "独立软件 Standalone (SaMD)",
                                                 "embedded": "软件组件 In a device"}[c])
        ai = c3.text_input("AI 功能 AI function", key="ap_ai", placeholder="辅助诊断 assisted diagnosis")
        cols = st.columns(3)
        facts = {k: cols[i % 3].checkbox(label, key=f"ap_{k[0]}_{k[1]}") for i, (k, label) in enumerate(FACTS.items())}
        acts = st.multiselect("活动 Activities", list(ACTIVITIES), key="ap_acts")
        submitted = st.form_submit_button("判断适用义务 Find applicable obligations", type="primary")
    if not submitted and "ap_result" not in st.session_state:
        return None
    body: dict = {"name": name or "profile", "roles": roles, "activities": acts,
                  "org": {}, "product": {"device_class": cls or None, "software": sw or None,
                                         "ai_function": ai or None}, "data": {}}
    for (sec, field), on in facts.items():
        body[sec][field] = on
    try:
        return Profile(**body)
    except ValueError as exc:
        st.error(f"画像无效 Invalid profile: {exc}")
        return None


def page_applicability() -> None:
    st.markdown("### 适用性 Applicability")
    st.caption("描述组织与产品，列出适用的义务及其理由。Describe the organisation and product: the obligations that "
               "apply across every loaded instrument, each with why.")
    profile = _profile_form()
    if profile is None:
        return
    core = Core(backend())
    try:
        res = call(core.applicable, profile)
    except InvalidFilter as exc:
        st.error(f"{exc}")
        return
    st.session_state["ap_result"] = True
    st.markdown(f"**{len(res.rows)}** 项适用义务 applicable obligations · {res.profile}")
    st.markdown("\n".join(f"- **{r}**: {why}" for r, why in res.roles.items()))
    if res.not_loaded:
        st.warning("相关但文本未收录 Relevant, text not loaded: " +
                   "；".join(f"{m['title']}（{m['subject']}）" for m in res.not_loaded))
    table = [{"出处 Citation": r.obligation.citation, "要求 Requirement": r.obligation.requirement_zh[:160],
              "适用理由 Why it applies": "；".join(r.why)} for r in res.rows]
    if table:
        st.dataframe(table, hide_index=True, width="stretch", height=min(480, 38 + 35 * len(table)))
    else:
        st.info("没有适用的义务：请补充角色或事实。No obligation applies: add roles or facts.")
    if res.excluded:
        with st.expander(f"因条件不满足而排除 Excluded by a condition the profile does not meet "
                         f"({sum(e.count for e in res.excluded)})"):
            for e in res.excluded:
                st.markdown(f"- **{e.count}** · {e.reason} — {', '.join(e.examples[:3])}")
    if table:
        _, file = call(core.applicable_register, profile, "xlsx")
        st.download_button("下载 Excel Download XLSX", file.data, file_name=file.filename, mime=file.media_type,
                           key="ap_dl_xlsx")
