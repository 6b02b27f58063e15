"""Errors as RFC 9457 problem details (application/problem+json), one convention for every status: `type` is the
relative URI `/problems/<slug>` (served by the API, so it resolves to the problem's description), `title` is the
slug's fixed title, `detail` says what to do. The OpenAPI document declares this schema, in this media type, for
every error status an operation can return."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

PROBLEM = "application/problem+json"

# slug -> (status, title, what it means); the only problem types the API sends
TYPES: dict[str, tuple[int, str, str]] = {
    "malformed-request": (400, "Malformed request", "The body is not valid JSON (or not JSON at all)."),
    "unauthorized": (401, "Unauthorized", "No API key, or an unknown or revoked one: send `Authorization: Bearer "
                                          "<key>`; create keys with `yigui apikey create --name NAME`."),
    "not-found": (404, "Not found", "No such path, or no provision with the given id or citation."),
    "method-not-allowed": (405, "Method not allowed", "The path exists but not with this HTTP method."),
    "request-too-large": (413, "Request too large", "The body is over the size limit (YIGUI_API_MAX_BODY)."),
    "invalid-request": (422, "Invalid request", "A field is missing, of the wrong type or out of range; `errors` "
                                                "lists each field."),
    "unknown-filter-value": (422, "Unknown filter value", "A filter names no actor, stage, modality, document or "
                                                          "level; `errors` lists the field and its valid values."),
    "too-many-requests": (429, "Too many requests", "Rate limit or failed-authentication limit reached: retry after "
                                                    "the Retry-After seconds."),
    "internal-error": (500, "Internal error", "The server could not complete the request; see the server log."),
    "store-unavailable": (503, "Graph store unavailable", "The graph store cannot be reached; retry after the "
                                                          "Retry-After seconds."),
    "nothing-loaded": (503, "Nothing loaded", "The graph store holds no provisions yet: run `yigui ingest`."),
    "warming-up": (503, "Warming up", "The retrieval index is being built (first start after an install or a corpus "
                                      "change); retry after the Retry-After seconds. GET /readyz says when it is done."),
}
BY_STATUS = {404: "not-found", 405: "method-not-allowed"}


class FieldError(BaseModel):
    field: str = Field(description="the field, e.g. `actor` or `body.question`")
    message: str
    type: str
    valid: list[str] | None = Field(None, description="values that would be accepted (unknown filter values)")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="`/problems/<slug>`, resolvable on this server")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    def __init__(self, slug: str, detail: str, *, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.slug, self.detail, self.headers, self.errors = slug, detail, headers or {}, errors
        self.status = TYPES[slug][0]


def problem_response(path: str, slug: str, detail: str, *, headers: dict[str, str] | None = None,
                     errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    status, title, _ = TYPES[slug]
    body = Problem(type=f"/problems/{slug}", title=title, status=status, detail=detail, instance=path,
                   errors=[FieldError(**e) for e in errors] if errors else None)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM, headers=headers)


def responses(*slugs: str) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation: each error status it can return, as a Problem in problem+json."""
    out: dict[int | str, dict[str, Any]] = {}
    for slug in slugs:
        status, title, _ = TYPES[slug]
        desc = out.get(status, {}).get("description")
        out[status] = {"model": Problem, "description": f"{desc}; {title}" if desc else title}
    return out


def problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare every Problem response as application/problem+json (what the server sends), and drop FastAPI's
    unused HTTPValidationError schema."""
    ref = "#/components/schemas/Problem"
    for ops in schema.get("paths", {}).values():
        for op in ops.values():
            for resp in (op.get("responses") or {}).values():
                content = resp.get("content") or {}
                js = content.get("application/json")
                got = (js or {}).get("schema", {}).get("$ref", "")
                if got == ref or got.endswith("/HTTPValidationError"):  # FastAPI's own 422 is ours too
                    content.pop("application/json")
                    content[PROBLEM] = {"schema": {"$ref": ref}}
    comps = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    return schema
