"""corpus: what the project itself knows about the corpus (registry of instruments, taxonomies, glossary).

The regulation texts are not here: they are read from YIGUI_CORPUS (default ../shared/corpus)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def corpus_dir() -> Path:
    """Where the official texts live: YIGUI_CORPUS, else ../shared/corpus beside the repository."""
    from ingest.settings import settings

    env = settings().corpus
    if env:
        return env.expanduser()
    return (HERE.parent.parent / "shared" / "corpus").resolve()


@lru_cache(maxsize=None)
def load_yaml(name: str):
    """Load one of the project's YAML files in corpus/ (registry.yaml, actors.yaml, stages.yaml, …)."""
    with open(HERE / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
