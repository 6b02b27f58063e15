"""The Streamlit app for lawyers (`yigui ui`): ask, read clauses in context, explore obligations, export a register,
see what the corpus holds. Pages live in ui/views/; every page reaches the store and the QA pipeline through
`ui.core` — the functions the CLI and the REST API call."""
from __future__ import annotations

import streamlit as st

from ingest.settings import settings
from ui.core import Core, InvalidFilter
from ui.views.ask import page_ask
from ui.views.clause import page_clause
from ui.views.common import CSS, PAGES, backend, call, docs_by_id, open_clause
from ui.views.corpus import page_corpus
from ui.views.applicability import page_applicability
from ui.views.obligations import page_obligations

QUERY_PARAMS = ("clause", "page", "actor", "stage", "modality", "doc", "level", "q")
STREAMLIT_PARAMS = ("embed", "embed_options")  # Streamlit's own


def _apply_query_params() -> list[str]:
    """Deep links a lawyer can share: ?clause=pipl/art29, ?page=obligations&actor=md-registrant&stage=post-market.
    A value that names nothing is not applied: the returned messages say which parameter, and what would work."""
    qp = st.query_params
    if st.session_state.get("_qp_seen") == dict(qp):
        return []  # shown once, on the load that brought the link; the user then moves on
    st.session_state["_qp_seen"] = dict(qp)
    errors: list[str] = []
    unknown = sorted(set(qp) - set(QUERY_PARAMS) - set(STREAMLIT_PARAMS))
    if unknown:
        given = ", ".join(f"{k}={qp[k]!r}" for k in unknown)
        errors.append(f"未知的链接参数 Unknown link parameter(s): {given} — use {', '.join(QUERY_PARAMS)}")
    if qp.get("clause"):
        open_clause(qp["clause"])
    elif qp.get("page"):
        if qp["page"] in PAGES:
            st.session_state["page"] = qp["page"]
        else:
            errors.append(f"链接参数无效 Invalid link: page={qp['page']!r} — use one of {', '.join(PAGES)}")
    widgets = {"actor": "f_actor", "stage": "f_stage", "modality": "f_modality", "doc": "f_doc", "level": "f_level"}
    given = {k: qp[k] for k in widgets if qp.get(k)}
    if given:
        core = Core(backend())
        for param, value in given.items():
            try:
                f = call(core.filters, **{param: value})
            except InvalidFilter as exc:
                errors.append(f"链接参数无效 Invalid link: {exc}")
                continue
            value = getattr(f, param)
            if param == "doc" and value not in docs_by_id():  # an instrument id: its current version's document
                value = next((d["id"] for d in docs_by_id().values() if d.get("instrument") == value
                              and d.get("current") and d.get("lang", "zh") == "zh"), value)
            st.session_state[widgets[param]] = value
    if qp.get("q"):
        st.session_state["question"] = qp["q"]
        st.session_state["ask_now"] = True
    return errors


APP_PASSWORD_ENV = "YIGUI_APP_PASSWORD"


def _signed_in() -> bool:
    """With YIGUI_APP_PASSWORD set, nothing is shown until the password is given (compared in constant time); without
    it the app is for this machine only (`yigui ui` binds loopback and refuses another --host without a password)."""
    import hmac

    want = settings().app_password or ""
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
    link_errors = _apply_query_params()
    st.session_state.setdefault("page", "ask")
    with st.sidebar:
        st.markdown("<div class='yg-brand'>医规 YiGui</div>"
                    "<div class='yg-sub'>医疗人工智能法规知识图谱<br>Medical-AI regulation, clause by clause</div>",
                    unsafe_allow_html=True)
        st.radio("页面 Page", list(PAGES), format_func=PAGES.get, key="page", label_visibility="collapsed")
        st.divider()
        st.caption("引用均指向具体条款并附原文；请以官方文本为准。Every citation points to a clause with its "
                   "verbatim text; the official publication prevails.")
    if link_errors:  # never show unfiltered results for a link that asked for something that does not exist
        for msg in link_errors:
            st.error(msg)
        st.info("请更正链接，或在左侧选择页面。Correct the link, or choose a page on the left.")
        return
    {"ask": page_ask, "clause": page_clause, "obligations": page_obligations, "applicability": page_applicability,
     "corpus": page_corpus}[
        st.session_state["page"]]()


if __name__ == "__main__":
    main()
