"""REST API for contract tools (`yigui serve`): answers, search, clauses, obligations and checklists over HTTP.

The JSON shapes are the CLI's (`qa.schemas`), so a tool can switch between them. Every error is RFC 9457 problem
details (application/problem+json). When the graph store is down the API answers 503 with Retry-After at once
instead of hanging, and serves again by itself when the store is back (the store is reconnected lazily).
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.obligations.model import MODALITIES
from qa.schemas import AskResponse, SearchResponse, SearchResult
from ui import export, register
from ui.apikeys import ApiKey, KeyStore

log = logging.getLogger("yigui.api")
PROBLEM = "application/problem+json"
RETRY_AFTER_S = 5


# ---------------------------------------------------------------- settings


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"environment variable {name}={raw!r} is not a whole number; unset it or give e.g. {default}")


@dataclass
class ApiSettings:
    """Limits; each can be set by environment variable for `yigui serve`."""

    max_body_bytes: int = field(default_factory=lambda: _env_int("YIGUI_API_MAX_BODY", 64 * 1024))
    rate_limit: int = field(default_factory=lambda: _env_int("YIGUI_API_RATE_LIMIT", 120))  # requests per window
    rate_window_s: int = field(default_factory=lambda: _env_int("YIGUI_API_RATE_WINDOW", 60))
    auth_failures: int = field(default_factory=lambda: _env_int("YIGUI_API_AUTH_FAILURES", 30))  # bad keys per window per address
    max_checklist_rows: int = 20000


# ---------------------------------------------------------------- problem details


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str, *, headers: dict[str, str] | None = None,
                 type_: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.type = type_ or f"https://yigui.dev/problems/{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}"
        self.extra = extra or {}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


def problem_response(request_path: str, status: int, title: str, detail: str, *, type_: str | None = None,
                     headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_ or "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request_path,
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class StoreUnavailable(Exception):
    """The graph store cannot be reached right now."""


class WarmingUp(Exception):
    """The retrieval index is still being built after a start; the request can be retried shortly."""


def _is_store_down(exc: BaseException) -> bool:
    try:
        from neo4j.exceptions import ServiceUnavailable, SessionExpired

        if isinstance(exc, (ServiceUnavailable, SessionExpired)):
            return True
    except ImportError:  # pragma: no cover - neo4j is a dependency
        pass
    if isinstance(exc, (StoreUnavailable, ConnectionError, TimeoutError)):
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
            except Exception as exc:  # noqa: BLE001 - any failure to connect is an outage for the API's client
                self._failed_at = time.monotonic()
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.warning("graph store unavailable: %s", self._last_error)
                raise StoreUnavailable(self._last_error) from exc
            return self._svc

    @property
    def queries(self):
        return self._ensure()[0]

    def invalidate(self, reason: str) -> None:
        """Forget the connection after an outage, so the next request connects afresh — to wherever the store is
        now (a restarted local server listens on new ports). The warm retrieval index is kept: it lives in memory."""
        with self._lock:
            store, self._store, self._svc = self._store, None, None
            self._failed_at = time.monotonic()
            self._last_error = reason
        if store is not None and hasattr(store, "close"):
            try:
                store.close()
            except Exception:  # noqa: BLE001 - the old driver may already be dead
                pass

    def _qa(self, i: int, wait: bool = True):
        """Retriever (1) or answerer (2), warmed once: requests that arrive during the warm-up wait for it (or,
        with wait=False, raise WarmingUp) instead of building the index a second time."""
        svc = self._ensure()
        if svc[i] is None or self._qa_ready:
            return svc[i]
        if not self._qa_lock.acquire(blocking=wait):
            raise WarmingUp("the retrieval index is being built")
        try:
            if not self._qa_ready:
                if svc[1] is not None and hasattr(svc[1], "warm_up"):
                    svc[1].warm_up()
                self._qa_ready = True
        finally:
            self._qa_lock.release()
        return svc[i]

    def qa_now(self, which: Literal["retriever", "answerer"]):
        """For the API: the object if ready, WarmingUp (-> 503 + Retry-After) while the first build runs."""
        return self._qa(1 if which == "retriever" else 2, wait=False)

    @property
    def retriever(self):
        return self._qa(1)

    @property
    def answerer(self):
        return self._qa(2)

    def ping(self) -> dict[str, Any]:
        """A cheap round trip to the store (not cached), plus the loaded document count."""
        q = self.queries
        store = getattr(q, "store", None)
        if store is not None and hasattr(store, "run"):
            store.run("RETURN 1 AS ok")
        return {"documents": len(q.documents())}

    def warm_up(self) -> None:
        """Connect and build the retrieval index now, so the first question does not wait for it."""
        try:
            self._qa(1)
        except Exception as exc:  # noqa: BLE001 - a cold start is slower, not broken; requests report outages
            log.warning("warm-up failed (%s: %s); the first request will try again", type(exc).__name__, exc)

    def close(self) -> None:
        store, self._store, self._svc = self._store, None, None
        if store is not None and hasattr(store, "close"):
            try:
                store.close()
            except Exception:  # noqa: BLE001
                pass


def _default_connect():
    from graph.store import GraphStore

    return GraphStore.connect()


def default_services(store: Any) -> tuple[Any, Any, Any]:
    """Queries over the store, and qa's process-wide Retriever and Answerer (qa.service: the same ones the CLI's
    `yigui search`/`yigui ask` use, so the API gives the CLI's answers). The qa objects are created on first use,
    not here, so a clause lookup never waits for the retrieval index."""
    from graph.queries import Queries

    queries = Queries(store)
    try:
        from qa import service
    except ImportError:
        return queries, None, None
    return queries, _Lazy(lambda: service.get_retriever(store)), _Lazy(lambda: service.get_answerer(store))


class _Lazy:
    """Creates the wrapped object on first attribute access (thread-safe through qa.service's own lock)."""

    def __init__(self, factory: Callable[[], Any]):
        self._factory = factory

    def __getattr__(self, name: str) -> Any:
        return getattr(self._factory(), name)


def search_response(retriever: Any, q: str, k: int) -> SearchResponse:
    """The retriever's hits as the public SearchResponse (the CLI's `yigui search --json` shape)."""
    t0 = time.perf_counter()
    if hasattr(retriever, "search_response"):
        return retriever.search_response(q, k=k)
    hits = retriever.search(q, k=k)
    if isinstance(hits, SearchResponse):
        return hits
    results = [h if isinstance(h, SearchResult) else retriever.to_result(h) for h in hits]
    return SearchResponse(query=q, results=results, took_ms=round((time.perf_counter() - t0) * 1000, 1))


# ---------------------------------------------------------------- rate limit and body size


class RateLimiter:
    """Sliding-window limit per API key: small, in-process, enough for one `yigui serve` worker."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, who: str) -> int:
        """Seconds until `who` may try again (0: not blocked), without counting a hit."""
        now = time.monotonic()
        with self._lock:
            q = self._hits.get(who)
            while q and now - q[0] >= self.window_s:
                q.popleft()
            if q is not None and len(q) >= self.limit:
                return max(1, int(self.window_s - (now - q[0])) + 1)
            return 0

    def check(self, who: str) -> tuple[bool, int, int]:
        """(allowed, remaining, retry_after_s)."""
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(who, deque())
            while q and now - q[0] >= self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return False, 0, max(1, int(self.window_s - (now - q[0])) + 1)
            q.append(now)
            return True, self.limit - len(q), 0


class BodyLimit:
    """ASGI middleware: refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(scope, receive, send)
        if scope["method"] in ("POST", "PUT", "PATCH"):
            chunks, size = [], 0
            more = True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                body = msg.get("body", b"")
                size += len(body)
                if size > self.max_bytes:
                    return await self._reject(scope, receive, send)
                chunks.append(body)
                more = msg.get("more_body", False)
            data = b"".join(chunks)
            sent = False

            async def replay():
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": data, "more_body": False}
                return await receive()

            return await self.app(scope, replay, send)
        return await self.app(scope, receive, send)

    async def _reject(self, scope, receive, send):
        resp = problem_response(
            scope.get("path", ""), 413, "Request too large",
            f"the request body is larger than the {self.max_bytes}-byte limit; send a shorter question or filter "
            "(the limit is set by YIGUI_API_MAX_BODY)",
        )
        await resp(scope, receive, send)


# ---------------------------------------------------------------- request/response models


class AskRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"question": "医院用患者病历训练诊断模型，需要取得患者的单独同意吗？"}]})
    question: str = Field(min_length=1, max_length=2000, description="Chinese or English compliance question")
    k: int | None = Field(default=None, ge=1, le=50, description="how many clauses to retrieve (default: the pipeline's)")


class PenaltyLink(BaseModel):
    provision_id: str
    citation: str
    text: str = ""
    method: Literal["explicit", "inferred", "general"] = "explicit"
    evidence: str = ""


class ObligationItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    key: str | None = Field(default=None, description="register id: instrument + hash of the clause's words; "
                            "survives re-ingest and a new version while the clause is unchanged")
    modality: str
    actors: list[Any] = Field(default_factory=list)
    stages: list[Any] = Field(default_factory=list)
    requirement_zh: str | None = None
    requirement_en: str | None = None
    provision_id: str
    citation: str
    doc_id: str | None = None
    doc_title: str | None = None
    version: str | None = None
    text: str | None = None
    penalties: list[Any] = Field(default_factory=list)
    penalty_details: list[PenaltyLink] = Field(default_factory=list)
    condition: str | None = None
    exception: str | None = None
    elements: list[str] = Field(default_factory=list)
    level: str | None = None
    effective: str | None = None
    inherited_via: str | None = None


class ObligationPage(BaseModel):
    items: list[ObligationItem]
    count: int
    limit: int
    offset: int
    next_offset: int | None = None


class ProvisionDetail(BaseModel):
    """A clause with its place in the document and its neighbourhood (cites, cited by, penalties, versions)."""

    model_config = ConfigDict(extra="allow")
    id: str
    doc_id: str | None = None
    citation: str | None = None
    text: str | None = None
    neighbourhood: dict[str, Any] = Field(default_factory=dict)


class DocumentItem(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str | None = None


class DocumentList(BaseModel):
    items: list[DocumentItem]
    count: int


class ChecklistRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"actor": "md-registrant", "stage": "post-market",
                                                               "format": "xlsx"}]})
    actor: str | None = Field(default=None, max_length=200, description="actor id or name, e.g. md-registrant / 医疗器械注册人")
    stage: str | None = Field(default=None, max_length=200, description="lifecycle stage id or name")
    doc: str | None = Field(default=None, max_length=200, description="document id, e.g. mdsr-2024")
    modality: Literal[MODALITIES] | None = None
    level: str | None = Field(default=None, max_length=100)
    current_only: bool = True
    include_inherited: bool = True
    format: Literal["xlsx", "docx", "csv", "json"] = "xlsx"
    title: str | None = Field(default=None, max_length=200)
    group: Literal["instrument", "stage"] = Field(default="instrument", description="DOCX sections: by instrument "
                                                  "(legal rank order) or by lifecycle stage")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    store: Literal["up", "down"]
    detail: str | None = None
    stats: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- app


def _taxonomy_param(kind: Literal["actor", "stage"], value: str | None, param: str) -> str | None:
    if not value:
        return None
    resolved = export.resolve_taxonomy_id(kind, value)
    tax = export.actor_taxonomy() if kind == "actor" else export.stage_taxonomy()
    if tax and resolved not in tax:
        some = ", ".join(list(tax)[:8])
        raise ApiProblem(422, "Unknown filter value",
                         f"{param}={value!r} is not a known {kind} id or name; use an id such as {some} "
                         f"(all ids: corpus/{kind}s.yaml)")
    return resolved


def _filters_checked(fn: Callable[[], Any]) -> Any:
    """The obligation query names a bad filter value with a ValueError: that is the client's 422, not our 500."""
    try:
        return fn()
    except ValueError as exc:
        raise ApiProblem(422, "Invalid filter", str(exc)) from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value


def create_app(*, backend: Backend | None = None, keys: KeyStore | None = None,
               settings: ApiSettings | None = None, warm_up: bool = False) -> FastAPI:
    settings = settings or ApiSettings()
    owns_backend = backend is None  # a backend passed in is the caller's to close
    backend = backend or Backend()
    keys = keys or KeyStore()
    limiter = RateLimiter(settings.rate_limit, settings.rate_window_s)
    failures = RateLimiter(settings.auth_failures, settings.rate_window_s)
    bearer = HTTPBearer(auto_error=False, description="API key from `yigui apikey create --name NAME`")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if warm_up:
            threading.Thread(target=backend.warm_up, name="yigui-warm-up", daemon=True).start()
        yield
        if owns_backend:
            backend.close()

    app = FastAPI(
        lifespan=lifespan,
        title="YiGui (医规) API",
        version="1",
        description=(
            "Compliance answers, clause text and obligation checklists over Chinese medical-AI regulation. "
            "Every answer cites pinpoint clauses (《个人信息保护法》第二十九条) with their verbatim text. "
            "Authenticate with `Authorization: Bearer <key>` (create keys with `yigui apikey create`). "
            "Errors are application/problem+json."
        ),
        responses={401: {"model": Problem}, 413: {"model": Problem}, 429: {"model": Problem},
                   503: {"model": Problem}},
    )
    app.state.backend = backend
    app.state.keys = keys
    app.state.settings = settings

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem_response(request.url.path, exc.status, exc.title, exc.detail, type_=exc.type,
                                headers=exc.headers, extra=exc.extra)

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable):
        if app.state.backend._svc is not None:
            app.state.backend.invalidate(str(exc))  # a live connection failed mid-request: reconnect next time
        return problem_response(
            request.url.path, 503, "Graph store unavailable",
            "the graph store cannot be reached; retry shortly (start it with `yigui db start`, or check NEO4J_URI)",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(WarmingUp)
    async def _warming(request: Request, exc: WarmingUp):
        return problem_response(
            request.url.path, 503, "Warming up",
            "the retrieval index is being built (first start after an install or a corpus change); retry shortly",
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        return problem_response(request.url.path, exc.status_code, title, detail,
                                headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                   "message": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem_response(request.url.path, 422, "Invalid request", detail, extra={"errors": errors})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        if _is_store_down(exc):
            return await _store_down(request, StoreUnavailable(str(exc)))
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request.url.path, 500, "Internal error",
                                f"{type(exc).__name__}: the server could not complete the request; see the server log")

    def authenticated(request: Request,
                      creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> ApiKey:
        challenge = {"WWW-Authenticate": "Bearer"}
        # failures are counted per address *and* presented key id: guessing one key's secret (each guess costs a
        # scrypt) is stopped, while another client's valid key from the same address is never locked out;
        # malformed or unknown-id keys cost no scrypt and share their address's bucket
        kid = keys.key_id(creds.credentials) if creds is not None else None
        client = f"ip:{request.client.host if request.client else '?'}|key:{kid or '-'}"
        wait = failures.blocked(client)
        if wait:
            raise ApiProblem(429, "Too many requests",
                             f"too many failed authentications from this address with this key id; retry after "
                             f"{wait} s", headers={"Retry-After": str(wait)})
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise ApiProblem(401, "Unauthorized",
                             "send an API key as `Authorization: Bearer <key>`; create one with "
                             "`yigui apikey create --name NAME`", headers=challenge)
        key = keys.verify(creds.credentials)
        if key is None:
            failures.check(client)
            raise ApiProblem(401, "Unauthorized", "the API key is unknown or revoked; check `yigui apikey list`",
                             headers=challenge)
        ok, remaining, retry = limiter.check(key.id)
        if not ok:
            raise ApiProblem(429, "Too many requests",
                             f"rate limit of {settings.rate_limit} requests per {settings.rate_window_s} s reached "
                             f"for key {key.name!r}; retry after {retry} s",
                             headers={"Retry-After": str(retry)})
        request.state.key = key
        return key

    def run(fn: Callable[[], Any]) -> Any:
        """Call the store; any connection failure becomes a 503, never a traceback or a hang."""
        try:
            return fn()
        except StoreUnavailable:
            raise
        except Exception as exc:
            if _is_store_down(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    @app.get("/healthz", response_model=Health, tags=["meta"], responses={503: {"model": Health}})
    def healthz():
        """Liveness and store reachability; no key needed."""
        try:
            stats = run(backend.ping)
        except StoreUnavailable as exc:
            body = Health(status="unavailable", store="down", detail=str(exc)[:300])
            return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        return Health(status="ok", store="up", stats={k: v for k, v in stats.items()
                                                       if isinstance(v, (int, float, str))})

    @app.post("/v1/ask", response_model=AskResponse, tags=["qa"])
    def ask(body: AskRequest, _: ApiKey = Depends(authenticated)):
        """Answer a compliance question (Chinese or English) from the clauses, every sentence cited."""
        if not body.question.strip():
            raise ApiProblem(422, "Invalid request", "question is blank: send the question text")

        def go():
            answerer = backend.qa_now("answerer")
            if answerer is None:
                raise ApiProblem(501, "Not available", "the Q&A pipeline (qa.answer) is not installed")
            try:
                return answerer.ask(body.question, k=body.k) if body.k else answerer.ask(body.question)
            except TypeError:
                return answerer.ask(body.question)
        return _jsonable(run(go))

    @app.get("/v1/search", response_model=SearchResponse, tags=["qa"])
    def search(q: str = Query(min_length=1, max_length=500, description="query, Chinese or English"),
               k: int = Query(10, ge=1, le=50), _: ApiKey = Depends(authenticated)):
        """Clauses ranked for a query (hybrid lexical + dense + graph retrieval)."""
        if not q.strip():
            raise ApiProblem(422, "Invalid request", "q is blank: give a question or keywords, e.g. q=单独同意")

        def go():
            retriever = backend.qa_now("retriever")
            if retriever is None:
                raise ApiProblem(501, "Not available", "the retriever (qa.retrieve) is not installed")
            return search_response(retriever, q, k)
        return _jsonable(run(go))

    @app.get("/v1/provisions/{provision_id:path}", response_model=ProvisionDetail, tags=["clauses"])
    def provision(provision_id: str, _: ApiKey = Depends(authenticated)):
        """One clause by id (`pipl/art29`, `mdsr-2024/art62/p1`) with its neighbourhood. Also accepts a citation
        such as 《个人信息保护法》第二十九条 in place of the id."""
        def go():
            q = backend.queries
            pid = provision_id
            p = q.provision(pid)
            if p is None and ("《" in pid or "第" in pid or " " in pid):
                try:
                    resolved = q.resolve_citation(pid)
                except Exception as exc:  # noqa: BLE001 - an unparseable citation is simply not found
                    if _is_store_down(exc):
                        raise
                    resolved = None
                if isinstance(resolved, list):
                    resolved = resolved[0] if resolved else None
                if isinstance(resolved, dict):
                    resolved = resolved.get("id") or resolved.get("provision_id")
                if resolved:
                    pid = resolved
                    p = q.provision(pid)
            if p is None:
                raise ApiProblem(404, "Provision not found",
                                 f"no provision with id {provision_id!r}; ids look like pipl/art29 or "
                                 "mdsr-2024/art62/p1 (GET /v1/search finds them)")
            p = _jsonable(p)
            try:
                nb = dict(_jsonable(q.neighbourhood(pid)) or {})
                nb.pop("provision", None)  # already the body of the response
            except Exception as exc:  # noqa: BLE001 - the clause itself is still worth returning
                if _is_store_down(exc):
                    raise
                log.warning("neighbourhood of %s failed: %s", pid, exc)
                nb = {}
            return {**p, "neighbourhood": nb}
        return run(go)

    @app.get("/v1/obligations", response_model=ObligationPage, tags=["obligations"])
    def obligations(
        actor: str | None = Query(None, max_length=200, description="actor id or name (inherited roles included)"),
        stage: str | None = Query(None, max_length=200, description="lifecycle stage id or name"),
        modality: Literal[MODALITIES] | None = None,
        doc: str | None = Query(None, max_length=200, description="document id, e.g. mdsr-2024"),
        level: str | None = Query(None, max_length=100),
        current_only: bool = True,
        include_inherited: bool = True,
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=1_000_000, description="rows to skip (the previous page's next_offset)"),
        _: ApiKey = Depends(authenticated),
    ):
        """Obligations filtered by actor, stage, modality, document and level; paginated with limit/offset."""
        a = _taxonomy_param("actor", actor, "actor")
        s = _taxonomy_param("stage", stage, "stage")
        items = run(lambda: _filters_checked(lambda: backend.queries.obligations(
            actor=a, stage=s, modality=modality, doc=doc, level=level, current_only=current_only,
            include_inherited=include_inherited, limit=limit + 1, offset=offset)))
        items = [_jsonable(i) for i in items]
        more = len(items) > limit
        items = items[:limit]
        return ObligationPage(items=items, count=len(items), limit=limit, offset=offset,
                              next_offset=offset + limit if more else None)

    @app.post("/v1/checklists", tags=["obligations"],
              responses={200: {"content": {t: {} for t in export.MEDIA_TYPES.values()},
                               "description": "the checklist file in the requested format"}})
    def checklist(body: ChecklistRequest, _: ApiKey = Depends(authenticated)):
        """An obligations register (one row per obligation, highest legal rank first: register id, pinpoint
        citation, verbatim clause, condition, required elements, penalties with their tiers, and empty tracking
        columns Owner/Control/Evidence/Status/Review date/Notes/Verified by) as xlsx, docx, csv or json."""
        a = _taxonomy_param("actor", body.actor, "actor")
        s = _taxonomy_param("stage", body.stage, "stage")
        obs = run(lambda: _filters_checked(lambda: export.fetch_obligations(
            backend.queries, actor=a, stage=s, doc=body.doc, modality=body.modality, level=body.level,
            current_only=body.current_only, include_inherited=body.include_inherited,
            max_rows=settings.max_checklist_rows)))
        rows = export.rows_from_obligations(obs)
        filters = {"actor": a, "stage": s, "doc": body.doc, "modality": body.modality, "level": body.level}
        facts = run(lambda: register.facts(backend.queries, {r.doc_id for r in rows}))
        data = export.render(rows, body.format, title=body.title or "义务登记册 Obligations register",
                             filters=filters, facts=facts, group=body.group)
        name = "-".join(x for x in ("checklist", a, s, body.doc) if x)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        return Response(data, media_type=export.MEDIA_TYPES[body.format],
                        headers={"Content-Disposition": f'attachment; filename="{name}.{body.format}"',
                                 "X-Checklist-Rows": str(len(rows))})

    @app.get("/v1/documents", response_model=DocumentList, tags=["clauses"])
    def documents(_: ApiKey = Depends(authenticated)):
        """The documents loaded in the graph (each version and translation), with level, status and version."""
        items = [_jsonable(d) for d in run(lambda: backend.queries.documents())]
        return DocumentList(items=items, count=len(items))

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn ui.api:app_from_env --factory` (what `yigui serve` runs)."""
    return create_app(warm_up=True)
