"""CLI commands for the web area."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
