"""What every `yigui` command shares: one JSON output style, and the core opened with one message when the store
cannot be reached."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import BaseModel


def emit_json(obj: Any) -> None:
    """One JSON document per line on stdout (compact, UTF-8 kept): the API's shapes, so output pipes into jq or a
    contract tool unchanged. `--queries` runs print one line per question."""
    if isinstance(obj, BaseModel):
        text = obj.model_dump_json()
    else:
        text = json.dumps(obj, ensure_ascii=False, default=str)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@contextmanager
def open_core() -> Iterator[Any]:
    """The core for one command; a store that cannot be reached exits 3 with what to check."""
    from ui.core import Core, EmptyGraph, StoreUnavailable, is_store_down

    core = Core()
    try:
        yield core
    except EmptyGraph as exc:
        typer.secho(f"✗ {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    except StoreUnavailable as exc:
        _store_down(exc)
    except Exception as exc:
        if is_store_down(exc):
            _store_down(exc)
        raise
    finally:
        core.close()


def _store_down(exc: BaseException) -> None:
    typer.secho(f"✗ graph store unavailable: {exc} — run `yigui ingest` first, check `yigui db status`, or "
                "NEO4J_URI/NEO4J_USER/NEO4J_PASSWORD when using Neo4j", fg=typer.colors.RED, err=True)
    raise typer.Exit(3)


def invalid_value(exc) -> None:
    """An InvalidFilter from the core as the CLI says it: `✗ --option 'value': what is wrong and what works`, exit 2."""
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[red]✗[/red] --{exc.field.replace('_', '-')} {escape(repr(exc.value))}: {escape(exc.message)}")
    raise typer.Exit(2)
