"""What every page of the app shares: the backend (one per process), store-outage handling, small HTML
helpers, cached document data and navigation."""
from __future__ import annotations

import html
from typing import Any

import streamlit as st

from ingest.model import LEVEL_LABELS
from ui import export
from ui.core import Backend, Core, StoreUnavailable, is_store_down

PAGES = {
    "ask": "问答 Ask",
    "clause": "条文 Clause",
    "obligations": "义务 Obligations",
    "applicability": "适用性 Applicability",
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


def plain(value: Any) -> Any:
    """A query result as the pages read it: typed models (graph.models) as plain dicts."""
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return value


def first(d: Any, *keys: str, default: Any = None) -> Any:
    """First present key of a dict-like (query results differ slightly by source)."""
    if d is None:
        return default
    for k in keys:
        v = d.get(k) if isinstance(d, dict) else getattr(d, k, None)
        if v not in (None, "", []):
            return v
    return default


def taxonomy_ids(values: Any) -> list[str]:
    """Taxonomy ids of a neighbourhood row's actors or stages (plain ids, or {"id": …} dicts)."""
    out: list[str] = []
    for v in values or []:
        v = v.get("id") if isinstance(v, dict) else v
        if v:
            out.append(str(v))
    return out


def esc(text: Any) -> str:
    return html.escape(str(text or ""))


def call(fn, *args, **kwargs):
    """Run a store call; an outage shows one clear message and stops the page instead of a traceback."""
    try:
        return fn(*args, **kwargs)
    except StoreUnavailable:
        store_down()
    except Exception as exc:
        if is_store_down(exc):
            store_down()
        raise


def store_down() -> None:
    st.error("知识图谱暂不可用。请稍后重试，或运行 `yigui db start`。\n\n"
             "The knowledge graph is unavailable right now. Retry shortly, or run `yigui db start`.")
    st.stop()


@st.cache_data(ttl=600, show_spinner=False)
def cached_documents(_b: Backend, key: str) -> list[dict]:
    return [plain(d) for d in Core(_b).documents()]


@st.cache_data(ttl=600, show_spinner=False)
def cached_stats(_b: Backend, key: str) -> dict:
    return plain(Core(_b).stats())


@st.cache_data(ttl=600, show_spinner=False)
def cached_tree(_b: Backend, key: str, doc_id: str) -> list[dict]:
    """The document's provisions in reading order (the nested tree flattened)."""
    tree = plain(Core(_b).document_tree(doc_id)) or {}
    out: list[dict] = []

    def walk(nodes):
        for n in nodes or []:
            out.append({k: v for k, v in n.items() if k != "children"})
            walk(n.get("children"))

    walk(tree.get("children") if isinstance(tree, dict) else tree)
    return out


def bkey() -> str:
    return str(id(backend()))


def docs_by_id() -> dict[str, dict]:
    return {d.get("id"): d for d in call(cached_documents, backend(), bkey())}


# ---------------------------------------------------------------- navigation


def goto(page: str, **state: Any) -> None:
    st.session_state.update(state)
    st.session_state["page"] = page


def open_clause(provision_id: str) -> None:
    goto("clause", clause_id=provision_id, clause_query=provision_id)


def clause_button(label: str, provision_id: str, key: str, *, help: str | None = None) -> None:
    st.button(label, key=key, on_click=open_clause, args=(provision_id,), help=help or f"打开 Open {provision_id}")
