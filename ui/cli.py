"""The `yigui` command. Each area registers its sub-commands from ui/commands/<area>.py on this one app."""
from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="yigui",
    help="YiGui (医规): knowledge graph and legal Q&A over Chinese medical-AI regulation.",
    no_args_is_help=True,
    add_completion=False,
)

# ingest/diff · db start|stop|status · obligations · search/ask/eval · changes · checklist/serve/ui/apikey
for _area in ("ingest", "db", "obligations", "qa", "changes", "web"):
    importlib.import_module(f"ui.commands.{_area}").register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
