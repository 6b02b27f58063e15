"""Where YiGui keeps its data on this machine — one rule for every package (ingest is the bottom layer).

YIGUI_HOME: the local graph database, its password file, API keys (default: the per-user data directory).
YIGUI_CACHE: derived data keyed by content hash — parsed files, embeddings, retrieval indexes (default:
YIGUI_HOME/cache when YIGUI_HOME is set, else the per-user cache directory).
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home_dir() -> Path:
    env = os.environ.get("YIGUI_HOME")
    return Path(env).expanduser().resolve() if env else Path(platformdirs.user_data_dir("yigui", appauthor=False))


def cache_dir() -> Path:
    if os.environ.get("YIGUI_CACHE"):
        d = Path(os.environ["YIGUI_CACHE"]).expanduser()
    elif os.environ.get("YIGUI_HOME"):
        d = home_dir() / "cache"
    else:
        d = Path(platformdirs.user_cache_dir("yigui", appauthor=False))
    d.mkdir(parents=True, exist_ok=True)
    return d
