"""REST API for contract tools (`yigui serve`): answers, search, clauses, obligations and checklists over HTTP.

Every route calls `ui.core.Core` — the functions the CLI and the app call — so the three give the same results.
Errors are RFC 9457 problem details (ui.api.problems), declared as such in /openapi.json for every status each
operation can return. When the graph store is down the API answers 503 with Retry-After at once instead of hanging,
and serves again by itself when the store is back; /readyz says when `ask` answers without the warm-up wait.
"""
from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph.applicability import Applicability
from graph.review import ReviewResult
from graph.changes import Horizon, ImpactReport
from graph.obligations.model import MODALITIES
from ingest.settings import settings as env_settings
from qa.schemas import AskResponse, SearchResponse
from ui import export
from ui.api.limits import BodyLimit, RateLimiter
from ui.api.models import (ApplicabilityRequest, AskRequest, ChecklistRequest, DocumentList, Health, ObligationPage,
                           ProvisionDetail, Readiness)
from ui.api.problems import TYPES, ApiProblem, problem_media_types, problem_response, responses
from ui.apikeys import ApiKey, KeyStore
from ui.core import Backend, Core, EmptyGraph, InvalidFilter, StoreUnavailable, WarmingUp, is_store_down

log = logging.getLogger("yigui.api")
RETRY_AFTER_S = 5
AUTH = ("unauthorized", "too-many-requests", "store-unavailable", "internal-error")
BODY = ("malformed-request", "request-too-large", "invalid-request")


class ApiSettings(BaseModel):
    """Limits of one server; defaults from the environment (YIGUI_API_*, ingest.settings)."""

    max_body_bytes: int = 64 * 1024
    rate_limit: int = 120  # requests per window per key
    rate_window_s: int = 60
    auth_failures: int = 30  # bad keys per window per address and key id
    max_checklist_rows: int = 20000

    @classmethod
    def from_env(cls, **overrides: Any) -> "ApiSettings":
        s = env_settings()
        return cls(**{"max_body_bytes": s.api_max_body, "rate_limit": s.api_rate_limit,
                      "rate_window_s": s.api_rate_window, "auth_failures": s.api_auth_failures, **overrides})


def _field_errors(exc: InvalidFilter) -> list[dict[str, Any]]:
    return [{"field": exc.field, "message": str(exc), "type": "unknown_value", "valid": exc.valid or None}]


def create_app(*, backend: Backend | None = None, keys: KeyStore | None = None,
               settings: ApiSettings | None = None, warm_up: bool = False) -> FastAPI:
    settings = settings or ApiSettings.from_env()
    owns_backend = backend is None  # a backend passed in is the caller's to close
    core = Core(backend)
    backend = core.backend
    keys = keys or KeyStore()
    limiter = RateLimiter(settings.rate_limit, settings.rate_window_s)
    failures = RateLimiter(settings.auth_failures, settings.rate_window_s)
    bearer = HTTPBearer(auto_error=False, description="API key from `yigui apikey create --name NAME`")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        stop = threading.Event()
        if warm_up:  # a serving process (`yigui serve`): build the index now, then follow re-ingests
            threading.Thread(target=backend.warm_up, name="yigui-warm-up", daemon=True).start()
            threading.Thread(target=backend.watch, args=(stop,), name="yigui-generation", daemon=True).start()
        yield
        stop.set()
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
            "Errors are application/problem+json; `type` is `/problems/<slug>` on this server. "
            "GET /readyz says when /v1/ask and /v1/search answer without the warm-up wait."
        ),
    )
    app.state.backend = backend
    app.state.core = core
    app.state.keys = keys
    app.state.settings = settings

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_media_types(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # ------------------------------------------------------------ errors
    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem):
        return problem_response(request.url.path, exc.slug, exc.detail, headers=exc.headers, errors=exc.errors)

    @app.exception_handler(InvalidFilter)
    async def _invalid_filter(request: Request, exc: InvalidFilter):
        return problem_response(request.url.path, "unknown-filter-value" if exc.valid else "invalid-request",
                                str(exc), errors=_field_errors(exc))

    @app.exception_handler(StoreUnavailable)
    async def _store_down(request: Request, exc: StoreUnavailable):
        if backend.connected:
            backend.invalidate(str(exc))  # a live connection failed mid-request: reconnect next time
        return problem_response(
            request.url.path, "store-unavailable",
            "the graph store cannot be reached; retry shortly (start it with `yigui db start`, or check NEO4J_URI)",
            headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(WarmingUp)
    async def _warming(request: Request, exc: WarmingUp):
        return problem_response(
            request.url.path, "warming-up",
            "the retrieval index is being built (first start after an install or a corpus change); retry shortly — "
            "GET /readyz says when it is ready", headers={"Retry-After": "30"})

    @app.exception_handler(EmptyGraph)
    async def _empty(request: Request, exc: EmptyGraph):
        return problem_response(request.url.path, "nothing-loaded", str(exc), headers={"Retry-After": "60"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        slug = BY_STATUS.get(exc.status_code, "invalid-request" if exc.status_code < 500 else "internal-error")
        return problem_response(request.url.path, slug, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errs):
            where = next((e.get("ctx", {}).get("error") for e in errs if e.get("type") == "json_invalid"), "")
            return problem_response(request.url.path, "malformed-request",
                                    f"the body is not valid JSON ({where}); send a JSON object such as "
                                    '{"question": "…"} with content-type application/json')
        errors = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", ""),
                   "type": e.get("type", "")} for e in errs]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
        return problem_response(request.url.path, "invalid-request", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        if is_store_down(exc):
            return await _store_down(request, StoreUnavailable(str(exc)))
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request.url.path, "internal-error",
                                f"{type(exc).__name__}: the server could not complete the request; see the server log")

    # ------------------------------------------------------------ auth
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
            raise ApiProblem("too-many-requests", f"too many failed authentications from this address with this key "
                             f"id; retry after {wait} s", headers={"Retry-After": str(wait)})
        if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
            raise ApiProblem("unauthorized", "send an API key as `Authorization: Bearer <key>`; create one with "
                             "`yigui apikey create --name NAME`", headers=challenge)
        key = keys.verify(creds.credentials)
        if key is None:
            failures.check(client)
            raise ApiProblem("unauthorized", "the API key is unknown or revoked; check `yigui apikey list`",
                             headers=challenge)
        ok, _remaining, retry = limiter.check(key.id)
        if not ok:
            raise ApiProblem("too-many-requests", f"rate limit of {settings.rate_limit} requests per "
                             f"{settings.rate_window_s} s reached for key {key.name!r}; retry after {retry} s",
                             headers={"Retry-After": str(retry)})
        request.state.key = key
        return key

    def run(fn: Callable[[], Any]) -> Any:
        """Call the store; any connection failure becomes a 503, never a traceback or a hang."""
        try:
            return fn()
        except (StoreUnavailable, WarmingUp, InvalidFilter, ApiProblem, EmptyGraph):
            raise
        except Exception as exc:
            if is_store_down(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    # ------------------------------------------------------------ meta
    @app.get("/healthz", response_model=Health, tags=["meta"],
             responses={503: {"model": Health, "description": "the graph store is unreachable"}})
    def healthz():
        """Liveness, store reachability and readiness (`ready`: /v1/ask answers now); no key needed."""
        r = core.readiness()
        if r.store == "down":
            body = Health(status="unavailable", store="down", ready=False, qa=r.qa, detail=r.detail)
            return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
        stats = run(backend.ping)
        return Health(status="ok", store="up", ready=r.ready, qa=r.qa, detail=r.detail,
                      stats={k: v for k, v in stats.items() if isinstance(v, int)})

    @app.get("/readyz", response_model=Readiness, tags=["meta"],
             responses={503: {"model": Readiness, "description": "not ready yet: retry after Retry-After seconds"}})
    def readyz():
        """200 when /v1/ask and /v1/search answer without waiting; 503 (with Retry-After) while the store is down
        or the retrieval index is being built. No key needed."""
        r = core.readiness()
        if not r.ready:
            return JSONResponse(r.model_dump(), status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER_S if r.store == "down" else 30)})
        return r

    @app.get("/problems/{slug}", include_in_schema=False)
    def problem_type(slug: str):
        """What a problem `type` means (the URI every error body carries resolves here)."""
        if slug not in TYPES:
            raise StarletteHTTPException(404, f"no problem type {slug!r}; known: {', '.join(TYPES)}")
        status, title, text = TYPES[slug]
        return {"type": f"/problems/{slug}", "title": title, "status": status, "description": text}

    # ------------------------------------------------------------ qa
    @app.post("/v1/ask", response_model=AskResponse, tags=["qa"], responses=responses(*AUTH, *BODY, "warming-up", "nothing-loaded"))
    def ask(body: AskRequest, _: ApiKey = Depends(authenticated)):
        """Answer a compliance question (Chinese or English) from the clauses, every sentence cited."""
        return run(lambda: core.ask(body.question, k=body.k, wait=False, as_of=body.as_of))

    @app.get("/v1/search", response_model=SearchResponse, tags=["qa"],
             responses=responses(*AUTH, "invalid-request", "warming-up", "nothing-loaded"))
    def search(q: str = Query(min_length=1, max_length=500, pattern=r"\S", description="query, Chinese or English"),
               k: int = Query(10, ge=1, le=50),
               as_of: str | None = Query(None, max_length=20, description="YYYY-MM-DD: the versions in force then"),
               _: ApiKey = Depends(authenticated)):
        """Clauses ranked for a query (hybrid lexical + dense + graph retrieval)."""
        return run(lambda: core.search(q, k, wait=False, as_of=as_of))

    # ------------------------------------------------------------ clauses
    @app.get("/v1/provisions/{provision_id:path}", response_model=ProvisionDetail, tags=["clauses"],
             responses=responses(*AUTH, "not-found", "invalid-request"))
    def provision(provision_id: str, _: ApiKey = Depends(authenticated)):
        """One clause by id (`pipl/art29`, `mdsr-2024/art62/p1`) with its neighbourhood. Also accepts a citation
        such as 《个人信息保护法》第二十九条 in place of the id."""
        p = run(lambda: core.provision(provision_id))
        if p is None:
            raise ApiProblem("not-found", f"no provision with id or citation {provision_id!r}; ids look like "
                             "pipl/art29 or mdsr-2024/art62/p1 (GET /v1/search finds them)")
        return p

    @app.get("/v1/documents", response_model=DocumentList, tags=["clauses"], responses=responses(*AUTH))
    def documents(_: ApiKey = Depends(authenticated)):
        """The documents loaded in the graph (each version and translation), with level, status and version."""
        items = run(core.documents)
        return DocumentList(items=items, total=len(items), count=len(items))

    # ------------------------------------------------------------ versions
    @app.get("/v1/changes", response_model=Horizon, tags=["versions"],
             responses=responses(*AUTH, "invalid-request"))
    def changes(since: str = Query(min_length=4, max_length=20, description="YYYY-MM-DD: scan from this date"),
                until: str | None = Query(None, max_length=20, description="YYYY-MM-DD: 'in force' up to this "
                                                                          "date (default today)"),
                _: ApiKey = Depends(authenticated)):
        """Horizon scan: every loaded version that took or takes effect after `since`, with what it changed
        (article links and register rows against the version before it), and later registered instruments whose
        text is not loaded."""
        return run(lambda: core.horizon(since, until))

    @app.get("/v1/changes/impact", response_model=ImpactReport, tags=["versions"],
             responses=responses(*AUTH, "invalid-request", "unknown-filter-value"))
    def change_impact(old: str = Query(min_length=1, max_length=200, description="older version (csl-2016) or an "
                                                                                  "instrument (csl)"),
                      new: str | None = Query(None, max_length=200, description="newer version (default: the next)"),
                      _: ApiKey = Depends(authenticated)):
        """What an amendment changed: the renumbering map (old article -> new article, identical or edited; added
        and removed articles) and the register rows added, removed, changed or renumbered."""
        return run(lambda: core.changes(old, new))

    @app.post("/v1/applicability", response_model=Applicability, tags=["obligations"],
              responses={200: {"content": {t: {} for t in export.MEDIA_TYPES.values()},
                               "description": "the applicable obligations (JSON), or the register file"},
                         **responses(*AUTH, *BODY, "unknown-filter-value")})
    def applicability(body: ApplicabilityRequest, _: ApiKey = Depends(authenticated)):
        """The obligations that apply to an organisation/product profile (roles, org, product, data, activities)
        across every loaded instrument: each row with why it applies (the role and how the profile holds it, the
        conditions met), what was excluded and by which condition, and relevant instruments not loaded."""
        if body.format == "json":
            return run(lambda: core.applicable(body.profile, body.as_of))
        _, out = run(lambda: core.applicable_register(body.profile, body.format, as_of=body.as_of))
        return Response(out.data, media_type=out.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{out.filename}"',
                                 "X-Checklist-Rows": str(out.rows)})

    @app.post("/v1/review", response_model=ReviewResult, tags=["obligations"],
              responses={200: {"content": {export.MEDIA_TYPES["xlsx"]: {}},
                               "description": "the review (JSON), or as xlsx with format=xlsx"},
                         **responses(*AUTH, *BODY, "unknown-filter-value")})
    def review(file: UploadFile = File(description="the document: .docx, .pdf, .txt, .md or .html"),
               kind: str | None = Form(None, max_length=40, description="dpa | privacy-notice (default: recognised)"),
               profile: str | None = Form(None, max_length=20000, description="a profile as JSON (POST "
                                          "/v1/applicability's `profile`): decides the conditional elements"),
               format: Literal["json", "xlsx"] = Form("json"),
               _: ApiKey = Depends(authenticated)):
        """Review a DPA or privacy notice against the elements the law requires it to address (PIPL 17, 21, 29,
        30, 31, 39, 59): each covered / partial / missing, covered ones with the document's own sentence verbatim,
        every one with the requiring clause."""
        import json as _json
        import tempfile
        from pathlib import Path as _Path

        from graph.applicability import Profile
        from ingest.model import IngestError

        # only the file's own name, and a safe one: it decides the reader (by suffix) and names the review
        name = re.sub(r"[^\w.\-]+", "_", _Path(file.filename or "").name).lstrip(".") or "document.txt"
        data = file.file.read(settings.max_body_bytes + 1)
        prof = None
        if profile:
            try:
                prof = Profile(**_json.loads(profile))
            except (ValueError, TypeError) as exc:
                raise ApiProblem("invalid-request", f"profile: {exc}") from None
        with tempfile.TemporaryDirectory(prefix="yigui-review-") as tmp:
            path = _Path(tmp) / name
            path.write_bytes(data)
            try:
                res = run(lambda: core.review(path, kind=kind, profile=prof))
            except IngestError as exc:
                raise ApiProblem("invalid-request", str(exc)) from None
        if format == "xlsx":
            return Response(export.review_file(res, "xlsx"), media_type=export.MEDIA_TYPES["xlsx"],
                            headers={"Content-Disposition": f'attachment; filename="review-{_Path(name).stem}.xlsx"'})
        return res

    # ------------------------------------------------------------ obligations
    @app.get("/v1/obligations", response_model=ObligationPage, tags=["obligations"],
             responses=responses(*AUTH, "invalid-request", "unknown-filter-value"))
    def obligations(
        actor: str | None = Query(None, max_length=200, description="actor id or name (inherited roles included)"),
        stage: str | None = Query(None, max_length=200, description="lifecycle stage id or name"),
        modality: Literal[MODALITIES] | None = None,
        doc: str | None = Query(None, max_length=200, description="document or instrument id, e.g. mdsr-2024"),
        level: str | None = Query(None, max_length=100, description="law | administrative_regulation | …"),
        current_only: bool = True,
        include_inherited: bool = True,
        as_of: str | None = Query(None, max_length=20, description="YYYY-MM-DD: the versions in force then"),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=1_000_000, description="rows to skip (the previous page's next_offset)"),
        _: ApiKey = Depends(authenticated),
    ):
        """Obligations filtered by actor, stage, modality, document and level; `total` counts every match,
        `next_offset` is null on the last page."""
        def go():
            f = core.filters(actor=actor, stage=stage, modality=modality, doc=doc, level=level,
                             current_only=current_only, include_inherited=include_inherited, as_of=as_of)
            return core.obligations(f, limit=limit, offset=offset)
        return run(go)

    @app.post("/v1/checklists", tags=["obligations"],
              responses={200: {"content": {t: {} for t in export.MEDIA_TYPES.values()},
                               "description": "the checklist file in the requested format"},
                         **responses(*AUTH, *BODY, "unknown-filter-value")})
    def checklist(body: ChecklistRequest, _: ApiKey = Depends(authenticated)):
        """An obligations register (one row per obligation, highest legal rank first: register id, pinpoint
        citation, verbatim clause, condition, required elements, penalties with their tiers, and empty tracking
        columns Owner/Control/Evidence/Status/Review date/Notes/Verified by) as xlsx, docx, csv or json."""
        def go():
            f = core.filters(actor=body.actor, stage=body.stage, modality=body.modality, doc=body.doc,
                             level=body.level, current_only=body.current_only,
                             include_inherited=body.include_inherited, as_of=body.as_of)
            return core.register(f, body.format, title=body.title, group=body.group,
                                 max_rows=settings.max_checklist_rows, changes_since=body.changes_since)
        out = run(go)
        return Response(out.data, media_type=out.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{out.filename}"',
                                 "X-Checklist-Rows": str(out.rows)})

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


BY_STATUS = {404: "not-found", 405: "method-not-allowed", 413: "request-too-large", 401: "unauthorized",
             429: "too-many-requests"}


def app_from_env() -> FastAPI:
    """Factory for `uvicorn ui.api:app_from_env --factory` (what `yigui serve` runs)."""
    return create_app(warm_up=True)


__all__ = ["ApiSettings", "Backend", "create_app", "app_from_env"]
