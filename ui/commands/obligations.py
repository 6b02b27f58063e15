"""CLI commands for the obligations area."""
from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
