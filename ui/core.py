"""The one library behind YiGui's three faces: the CLI (`yigui …`), the REST API (`yigui serve`) and the Streamlit
app call these functions and nothing lower, so a filter the CLI accepts the API accepts, and a register the app
downloads is the file `yigui checklist` writes.

    core = Core()                                     # connects on first use; reconnects after an outage
    f = core.filters(actor="md registrant", stage="上市后")   # names and ids, validated: InvalidFilter says why
    core.obligations(f, limit=50)                     # ObligationPage (typed items, total, next offset)
    core.register(f, "xlsx")                          # RegisterFile: the bytes, the file name, the row count
    core.search("单独同意", k=10); core.ask("…")      # qa's process-wide retriever and answerer
    core.provision("《个人信息保护法》第二十九条")      # a clause by id or citation, with its neighbourhood
    core.readiness()                                  # whether `ask` answers now or is still warming up
"""
from __future__ import annotations

import datetime
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pydantic import BaseModel, Field

from corpus import taxonomy
from graph.applicability import Applicability, Profile, applicable
from graph.changes import Horizon, ImpactReport, horizon, impact
from graph.review import ReviewResult
from graph.models import CorpusStats, DocumentItem, DocumentTree, ProvisionDetail
from graph.obligations.model import MODALITIES, ObligationItem, ObligationPage
from ingest.model import LEVEL_RANK
from ingest.versions import in_force_on, parse_day, starts
from qa import service
from qa.service import EmptyGraph  # noqa: F401 - raised through the core: the faces catch it from here
from qa.schemas import AskResponse, SearchResponse

log = logging.getLogger("yigui.core")
MAX_REGISTER_ROWS = 20000


# ---------------------------------------------------------------- outages


class StoreUnavailable(Exception):
    """The graph store cannot be reached right now."""


class WarmingUp(Exception):
    """The retrieval index is still being built after a start; the request can be retried shortly."""


def is_store_down(exc: BaseException) -> bool:
    """Whether an exception means the store is unreachable (an outage to report, not a bug to trace)."""
    if isinstance(exc, (ServiceUnavailable, SessionExpired, StoreUnavailable, ConnectionError, TimeoutError)):
        return True
    name = type(exc).__name__
    return "Unavailable" in name or "NotRunning" in name


# ---------------------------------------------------------------- backend (store, queries, QA)


class Backend:
    """The store, the query layer and the QA pipeline, connected on first use and again after an outage.

    `connect` returns a store; `services` turns it into (queries, retriever, answerer). Both are injectable so
    tests and other deployments (Neo4j via NEO4J_URI) choose the store; the default is `GraphStore.connect()`.
    """

    def __init__(self, connect: Callable[[], Any] | None = None,
                 services: Callable[[Any], tuple[Any, Any, Any]] | None = None,
                 reconnect_after_s: float = 2.0):
        self._connect = connect or _default_connect
        self._services = services or default_services
        self._lock = threading.Lock()
        self._store = None
        self._svc: tuple[Any, Any, Any] | None = None
        self._failed_at = 0.0
        self._reconnect_after_s = reconnect_after_s
        self._last_error = ""
        self._qa_lock = threading.Lock()
        self._qa_ready = False

    @property
    def connected(self) -> bool:
        return self._svc is not None

    def _ensure(self) -> tuple[Any, Any, Any]:
        if self._svc is not None:
            return self._svc
        with self._lock:
            if self._svc is not None:
                return self._svc
            if time.monotonic() - self._failed_at < self._reconnect_after_s:
                raise StoreUnavailable(self._last_error or "graph store unavailable")
            try:
                store = self._connect()
                self._svc = self._services(store)
                self._store = store
            except Exception as exc:  # noqa: BLE001 - any failure to connect is an outage for the caller
                self._failed_at = time.monotonic()
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.warning("graph store unavailable: %s", self._last_error)
                raise StoreUnavailable(self._last_error) from exc
            return self._svc

    @property
    def queries(self):
        return self._ensure()[0]

    @property
    def store(self):
        self._ensure()
        return self._store

    def invalidate(self, reason: str) -> None:
        """Forget the connection after an outage, so the next request connects afresh — to wherever the store is
        now (a restarted local server listens on new ports). The warm retrieval index is kept: it lives in memory."""
        with self._lock:
            store, self._store, self._svc = self._store, None, None
            self._failed_at = time.monotonic()
            self._last_error = reason
        _close(store)

    def _qa(self, i: int, wait: bool = True):
        """Retriever (1) or answerer (2), warmed once: requests that arrive during the warm-up wait for it (or,
        with wait=False, raise WarmingUp) instead of building the index a second time."""
        svc = self._ensure()
        if self._qa_ready:
            return svc[i]
        if not self._qa_lock.acquire(blocking=wait):
            raise WarmingUp("the retrieval index is being built")
        try:
            if not self._qa_ready:
                svc[1].warm_up()
                self._qa_ready = True
        finally:
            self._qa_lock.release()
        return svc[i]

    def qa_now(self, which: Literal["retriever", "answerer"]):
        """The object if ready, WarmingUp (-> 503 + Retry-After) while the first build runs."""
        return self._qa(1 if which == "retriever" else 2, wait=False)

    @property
    def qa_ready(self) -> bool:
        return self._qa_ready

    @property
    def warming(self) -> bool:
        return self._qa_lock.locked() and not self._qa_ready

    @property
    def retriever(self):
        return self._qa(1)

    @property
    def answerer(self):
        return self._qa(2)

    def ping(self) -> dict[str, Any]:
        """A cheap round trip to the store (not cached), plus the loaded document count."""
        q = self.queries
        q.store.run("RETURN 1 AS ok")
        return {"documents": len(q.documents())}

    def warm_up(self) -> None:
        """Connect and build the retrieval index now, so the first question does not wait for it."""
        try:
            self._qa(1)
        except Exception as exc:  # noqa: BLE001 - a cold start is slower, not broken; requests report outages
            log.warning("warm-up failed (%s: %s); the first request will try again", type(exc).__name__, exc)

    def watch(self, stop: threading.Event, every: float | None = None) -> None:
        """A serving process's watcher (run in a thread until `stop` is set): once the index is built, ask the
        store every GENERATION_CHECK_S whether a re-ingest happened (in any process) and rebuild at once, not on
        the next request — replicas over one store then catch up together, within seconds of the ingest, whether
        or not anyone asks. Requests that arrive during a rebuild wait for it, as they always have."""
        every = every or service.GENERATION_CHECK_S
        while not stop.wait(every):
            if not self._qa_ready:
                continue
            try:
                getattr(self._ensure()[1], "provider", None)  # qa.service checks the generation, rebuilds if new
            except Exception as exc:  # noqa: BLE001 - an outage is reported by requests; keep watching
                log.debug("generation check failed: %s: %s", type(exc).__name__, exc)

    def close(self) -> None:
        store, self._store, self._svc = self._store, None, None
        _close(store)


def _close(store: Any) -> None:
    if store is not None:
        try:
            store.close()
        except Exception:  # noqa: BLE001 - the old driver may already be dead
            pass


def _default_connect():
    from graph.store import GraphStore

    return GraphStore.connect()


def default_services(store: Any) -> tuple[Any, Any, Any]:
    """Queries over the store, and qa's process-wide Retriever and Answerer (qa.service: the same ones `yigui
    search`/`yigui ask` use). The qa objects are created on first use, so a clause lookup never waits for the
    retrieval index."""
    from graph.queries import Queries

    return Queries(store), _Lazy(lambda: service.get_retriever(store)), _Lazy(lambda: service.get_answerer(store))


class _Lazy:
    """Creates the wrapped object on first attribute access (thread-safe through qa.service's own lock)."""

    def __init__(self, factory: Callable[[], Any]):
        self._factory = factory

    def __getattr__(self, name: str) -> Any:
        return getattr(self._factory(), name)


# ---------------------------------------------------------------- filters


class InvalidFilter(ValueError):
    """A filter value that names nothing: the field, the value and the values that would work."""

    def __init__(self, field: str, value: str, message: str, valid: Iterable[str] = ()):
        super().__init__(f"{field}={value!r}: {message}")
        self.field, self.value, self.message, self.valid = field, value, message, list(valid)


class Filters(BaseModel):
    """Obligation filters every face takes, already resolved to ids (actor and stage names → taxonomy ids)."""

    actor: str | None = None
    stage: str | None = None
    modality: str | None = None
    doc: str | None = None
    level: str | None = None
    current_only: bool = True
    include_inherited: bool = True
    regulators: bool | None = Field(None, description="True: regulators' duties only; False: regulated parties' "
                                                       "only; None: both unless an actor is given")
    as_of: str | None = Field(None, description="ISO date: the versions in force that day instead of the current ones")
    in_force: list[str] | None = Field(None, description="the document ids in force on as_of (set by Core.filters)")

    def query_args(self) -> dict[str, Any]:
        return {"actor": self.actor, "stage": self.stage, "modality": self.modality, "doc": self.doc,
                "level": self.level, "current_only": self.current_only, "include_inherited": self.include_inherited,
                "regulator_duties": self.regulators, "doc_ids": self.in_force}

    def described(self) -> dict[str, str | None]:
        """The filters as a register's About sheet states them."""
        return {"actor": self.actor, "stage": self.stage, "doc": self.doc, "modality": self.modality,
                "level": self.level, "as_of": self.as_of}


class Readiness(BaseModel):
    """Whether each part answers now: a client polls this before its first `ask`."""

    ready: bool = Field(description="true when /v1/ask and /v1/search answer without a warm-up wait")
    store: Literal["up", "down"]
    qa: Literal["ready", "warming", "cold"]
    detail: str | None = None
    index_generation: str | None = Field(None, description="the store's load generation the retrieval index was "
                                         "built from; it changes within seconds of a re-ingest by any process")


class RegisterFile(BaseModel):
    data: bytes
    format: str
    media_type: str
    filename: str
    rows: int
    kept: int = 0
    changed: int = 0
    new: int = 0
    removed: int = 0


# ---------------------------------------------------------------- the core


class Core:
    """One object per process (CLI command, API server, app); cheap until first used."""

    def __init__(self, backend: Backend | None = None):
        self.backend = backend or Backend()

    @property
    def queries(self):
        return self.backend.queries

    def close(self) -> None:
        self.backend.close()

    # -- filters -------------------------------------------------------------------------------------------------
    def filters(self, *, actor: str | None = None, stage: str | None = None, modality: str | None = None,
                doc: str | None = None, level: str | None = None, current_only: bool = True,
                include_inherited: bool = True, regulators: bool | None = None, as_of: str | None = None) -> Filters:
        """Validate and resolve filter values (ids, Chinese or English names, aliases); an unknown value raises
        InvalidFilter listing the valid ones — never an empty result that looks like 'no obligations'."""
        def tax(kind: str, value: str | None) -> str | None:
            if not value:
                return None
            t = taxonomy.actors() if kind == "actor" else taxonomy.stages()
            try:
                return t.resolve(value)
            except ValueError as exc:
                raise InvalidFilter(kind, value, str(exc), t.ids()) from exc

        a, s = tax("actor", actor), tax("stage", stage)
        if modality and modality not in MODALITIES:
            raise InvalidFilter("modality", modality, f"unknown modality {modality!r} — use one of "
                                f"{', '.join(MODALITIES)}", MODALITIES)
        if level and level not in LEVEL_RANK:
            raise InvalidFilter("level", level, f"unknown level {level!r} — use one of {', '.join(LEVEL_RANK)}",
                                LEVEL_RANK)
        if doc:
            known = self.document_ids()
            if doc not in known:
                raise InvalidFilter("doc", doc, f"unknown doc {doc!r}: no such document or instrument is loaded — "
                                    f"use one of {', '.join(known)}", known)
        day, in_force = self.as_of(as_of), None
        if day:
            st = in_force_on(self.queries.documents(), day)
            in_force = sorted(d for d, v in st.items() if v == "in_force")
        return Filters(actor=a, stage=s, modality=modality or None, doc=doc or None, level=level or None,
                       current_only=current_only, include_inherited=include_inherited, regulators=regulators,
                       as_of=day, in_force=in_force)

    @staticmethod
    def as_of(value: str | None) -> str | None:
        """An as-of date as ISO, or InvalidFilter naming the value and the forms accepted."""
        try:
            return parse_day(value)
        except ValueError as exc:
            raise InvalidFilter("as_of", str(value), str(exc)) from exc

    def document_ids(self) -> list[str]:
        """Ids a `doc` filter accepts: every loaded Chinese document and its instrument."""
        ids: set[str] = set()
        for d in self.queries.documents():
            if (d.lang or "zh") == "zh":
                ids.add(d.id)
                if d.instrument:
                    ids.add(d.instrument)
        return sorted(ids)

    # -- obligations ---------------------------------------------------------------------------------------------
    def obligations(self, f: Filters, limit: int = 50, offset: int = 0) -> ObligationPage:
        return self.queries.obligation_page(limit=limit, offset=offset, **f.query_args())

    def all_obligations(self, f: Filters, *, max_rows: int = MAX_REGISTER_ROWS, page_size: int = 500,
                        progress: Callable[[int, int], None] | None = None) -> list[ObligationItem]:
        """Every matching obligation, paged through the store so large registers stream."""
        out: list[ObligationItem] = []
        while len(out) < max_rows:
            page = self.queries.obligations(**f.query_args(), limit=min(page_size, max_rows - len(out)),
                                            offset=len(out))
            out.extend(page)
            if progress:
                progress(len(out), 0)
            if len(page) < page_size:
                break
        return out

    def register(self, f: Filters, fmt: str, *, title: str | None = None, group: str = "instrument",
                 filled: list | None = None, merged_from: str | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 max_rows: int = MAX_REGISTER_ROWS, changes_since: str | None = None) -> RegisterFile:
        """An obligations register file (ui.export writers over ui.register rows); `filled` (rows read back from a
        register the user filled in) carries their tracking columns over and flags changed clauses;
        `changes_since` (YYYY-MM-DD) flags the rows an amendment that took effect after that date added, changed,
        renumbered or re-sanctioned (graph.changes.impact against the version before it)."""
        from ui import export, register

        if fmt not in export.FORMATS:
            raise InvalidFilter("format", fmt, f"format {fmt!r} is not supported: choose one of "
                                f"{', '.join(export.FORMATS)}", export.FORMATS)
        if group not in export.GROUPS:
            raise InvalidFilter("group", group, f"group {group!r}: choose one of {', '.join(export.GROUPS)}",
                                export.GROUPS)
        rows = register.rows_from_obligations(self.all_obligations(f, max_rows=max_rows, progress=progress))
        facts = register.facts(self.queries, {r.doc_id for r in rows})
        report = None
        if changes_since:
            self._flag_amended(rows, changes_since)
        if filled is not None:
            report = register.merge(rows, filled)
            facts.merged_from = merged_from
            facts.merge_counts = {"kept": report.kept, "changed": report.changed, "new": report.new}
        data = export.render(rows, fmt, title=title or "义务登记册 Obligations register",
                             filters={**f.described(), "changes_since": changes_since},
                             facts=facts, group=group, removed=report.removed if report else (),
                             progress=progress)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(x for x in ("checklist", f.actor, f.stage, f.doc) if x))
        return RegisterFile(data=data, format=fmt, media_type=export.MEDIA_TYPES[fmt], filename=f"{stem}.{fmt}",
                            rows=len(rows), kept=report.kept if report else 0,
                            changed=report.changed if report else 0, new=report.new if report else 0,
                            removed=len(report.removed) if report else 0)

    # -- questions -----------------------------------------------------------------------------------------------
    def search(self, q: str, k: int = 10, *, wait: bool = True, as_of: str | None = None) -> SearchResponse:
        """Clauses ranked for a query; wait=False raises WarmingUp while the index is first built (the API's 503);
        as_of (YYYY-MM-DD): the versions in force that day."""
        if not q or not q.strip():
            raise InvalidFilter("q", q, "the query is blank: give a question or keywords, e.g. 单独同意")
        day = self.as_of(as_of)
        retriever = self.backend.retriever if wait else self.backend.qa_now("retriever")
        return service.search_with(retriever, q, k, day)

    def ask(self, question: str, k: int | None = None, *, wait: bool = True,
            use_llm: bool | None = None, as_of: str | None = None) -> AskResponse:
        """An answer with pinpoint citations; use_llm None: the LLM when one is configured (YIGUI_LLM_*); as_of
        (YYYY-MM-DD): from the versions in force that day."""
        if not question or not question.strip():
            raise InvalidFilter("question", question, "the question is blank: send the question text")
        day = self.as_of(as_of)
        answerer = self.backend.answerer if wait else self.backend.qa_now("answerer")
        if use_llm is not None:
            answerer = service.get_answerer(self.backend.store, use_llm=use_llm)
        return answerer.ask(question, k=k, as_of=day) if k else answerer.ask(question, as_of=day)

    def retriever(self):
        """The warm retriever (evaluation runs over it)."""
        return self.backend.retriever

    # -- clauses and documents -----------------------------------------------------------------------------------
    def resolve(self, ref: str) -> str | None:
        """The provision id for an id or a citation (《个人信息保护法》第二十九条, 数据安全法第45条, PIPL art 29)."""
        ref = (ref or "").strip()
        if not ref:
            return None
        q = self.queries
        if q.provision(ref) is not None:
            return ref
        hit = q.resolve_citation(ref)
        return hit.id if hit else None

    def provision(self, ref: str) -> ProvisionDetail | None:
        """A clause by id (`pipl/art29`, `mdsr-2024/art62/p1`) or citation, with its neighbourhood (cites, cited
        by, penalties, sanctions, obligations, translation, versions); None when nothing matches."""
        pid = self.resolve(ref)
        p = self.queries.provision(pid) if pid else None
        if p is None:
            return None
        nb = self.queries.neighbourhood(pid)
        return ProvisionDetail(**dict(p), **({"neighbourhood": nb} if nb is not None else {}))

    def documents(self) -> list[DocumentItem]:
        return self.queries.documents()

    # -- versions and change impact -------------------------------------------------------------------------------
    def _flag_amended(self, rows: list, since: str) -> None:
        """Set each register row's 变更 Change cell from the amendments in force after `since` (see register)."""
        day = self.as_of(since)
        if not day:
            return
        docs = {r.doc_id for r in rows}
        flags: dict[tuple[str, str], str] = {}
        for item in horizon(self.queries, day, "9999-12-31").items:
            if item.kind != "amendment" or item.doc_id not in docs:
                continue
            rep = impact(self.queries, item.previous, item.doc_id)
            head = f"{item.doc_id}（{item.effective}起施行 in force）"
            for c in rep.rows:
                k = c.new_key or c.key
                text = {"added": f"新增 added by {head}",
                        "changed": f"修改 changed by {head}\n原文 Previous ({c.old_citation}): {c.old_text}",
                        "renumbered": f"条号变更 renumbered by {head}: {c.old_citation} → {c.new_citation}",
                        "penalty_changed": f"罚则变更 penalty changed by {head}: "
                                           f"{'；'.join(c.old_penalties) or '—'} → {'；'.join(c.new_penalties) or '—'}",
                        }.get(c.change)
                if text:
                    flags[(item.doc_id, k)] = text
        for r in rows:
            t = flags.get((r.doc_id, r.key))
            if t:
                r.change = t

    def changes(self, old: str, new: str | None = None) -> ImpactReport:
        """What an amendment changed: the renumbering map and the register rows it touches. `new` None: the
        version that follows `old` (or `old` names an instrument: its two latest versions). InvalidFilter names a
        version that is not loaded."""
        docs = [d for d in self.queries.documents() if (d.lang or "zh") == "zh"]
        if new is None:
            inst = next((d.instrument for d in docs if d.id == old), old)
            group = sorted((d for d in docs if d.instrument == inst), key=lambda d: (starts(d), d.id))
            if len(group) < 2:
                multi = sorted({d.instrument for d in docs if sum(x.instrument == d.instrument for x in docs) > 1})
                raise InvalidFilter("old", old, f"{old!r} has no other loaded version to compare with — instruments "
                                    f"with several versions: {', '.join(multi)}", multi)
            ids = [d.id for d in group]
            if old in ids and ids.index(old) + 1 < len(ids):
                old, new = old, ids[ids.index(old) + 1]
            else:
                old, new = ids[-2], ids[-1]
        try:
            return impact(self.queries, old, new)
        except ValueError as exc:
            raise InvalidFilter("old" if self.queries.document(old) is None else "new", new
                                if self.queries.document(old) is not None else old, str(exc)) from exc

    def applicable(self, profile: Profile, as_of: str | None = None) -> Applicability:
        """The obligations that apply to an organisation/product profile across every loaded instrument, each with
        why (graph.applicability); as_of: the versions in force that day."""
        day = self.as_of(as_of)
        docs = None
        if day:
            st = in_force_on(self.queries.documents(), day)
            docs = sorted(d for d, v in st.items() if v == "in_force")
        return applicable(self.queries, profile, as_of_docs=docs)

    def applicable_register(self, profile: Profile, fmt: str, *, as_of: str | None = None) -> tuple[Applicability,
                                                                                                    RegisterFile]:
        """The applicable set as a register file (the `yigui checklist` writers): the 主体 cell says why each row
        applies; the About sheet names the profile, and the relevant instruments whose text is not loaded."""
        from ui import export, register

        if fmt not in export.FORMATS:
            raise InvalidFilter("format", fmt, f"format {fmt!r} is not supported: choose one of "
                                f"{', '.join(export.FORMATS)}", export.FORMATS)
        res = self.applicable(profile, as_of)
        rows = register.rows_from_obligations(r.obligation for r in res.rows)
        why = {r.obligation.id: "；".join(r.why) for r in res.rows}
        for row in rows:
            row.inherited_via = why.get(row.id)
        facts = register.facts(self.queries, {r.doc_id for r in rows})
        missing = "；".join(f"{m['title']}（{m['subject']}）" for m in res.not_loaded)
        filters = {"profile": profile.name, "as_of": self.as_of(as_of),
                   "not_loaded": missing or None}
        data = export.render(rows, fmt, title=f"适用义务 Applicable obligations — {profile.name}", filters=filters,
                             facts=facts)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f"applicable-{profile.name}")[:80]
        return res, RegisterFile(data=data, format=fmt, media_type=export.MEDIA_TYPES[fmt], filename=f"{stem}.{fmt}",
                                 rows=len(rows))

    def review(self, path, *, kind: str | None = None, profile: Profile | None = None) -> ReviewResult:
        """Review a user's document (a DPA, a privacy notice; .docx, .pdf, .txt, .md, .html) against the elements the
        law requires of it, each covered/partial/missing with the document's own sentence and the requiring clause.
        InvalidFilter names an unknown or unrecognised kind; ingest's IngestError a file that cannot be read."""
        from graph import review as rv

        try:
            return rv.review(self.queries, Path(path), kind=kind, profile=profile)
        except ValueError as exc:
            if "document kind" in str(exc) or "what kind of document" in str(exc):
                raise InvalidFilter("kind", str(kind), str(exc), list(rv.kinds())) from exc
            raise

    def horizon(self, since: str, until: str | None = None) -> Horizon:
        """Versions that took or take effect after `since` (to `until`, default today), with what each changed,
        and registered instruments of later date whose text is not loaded."""
        day = self.as_of(since)
        if not day:
            raise InvalidFilter("since", str(since), "give the date to scan from, YYYY-MM-DD")
        end = self.as_of(until) or datetime.date.today().isoformat()
        from ingest import registry

        loaded = {d.id for d in self.queries.documents()}
        return horizon(self.queries, day, end, registry.status_table(loaded))

    def document_tree(self, doc_id: str) -> DocumentTree | None:
        return self.queries.document_tree(doc_id)

    def stats(self) -> CorpusStats:
        return self.queries.stats()

    def readiness(self) -> Readiness:
        try:
            self.backend.ping()
        except StoreUnavailable as exc:
            return Readiness(ready=False, store="down", qa="cold", detail=str(exc)[:300])
        except Exception as exc:
            if is_store_down(exc):
                self.backend.invalidate(str(exc))
                return Readiness(ready=False, store="down", qa="cold", detail=str(exc)[:300])
            raise
        qa = "ready" if self.backend.qa_ready else "warming" if self.backend.warming else "cold"
        return Readiness(ready=qa == "ready", store="up", qa=qa,
                         index_generation=service.generation() if qa == "ready" else None,
                         detail=None if qa == "ready" else "the retrieval index is not built yet; "
                         "/v1/ask and /v1/search answer 503 with Retry-After until it is")
