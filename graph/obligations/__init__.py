"""Obligations: who must, must not or may do what, when — extracted from provisions, linked to actors and stages.

Entry points used by graph.build and graph.queries:
  extract(parsed_docs) -> ExtractionResult
  load(store, result)
  query(store, actor=…, stage=…, …) -> list[dict]
"""
from __future__ import annotations

from graph.obligations.model import ExtractionResult, Modality, Obligation, StageLabel, Term


def extract(parsed_docs) -> ExtractionResult:
    """Run the rule pipeline over every provision of the parsed documents."""
    from graph.obligations.extract import extract as _extract

    return _extract(parsed_docs)


def load(store, result: ExtractionResult) -> dict:
    """MERGE obligations, actors, stages, regulators and terms into the graph store."""
    from graph.obligations.load import load as _load

    return _load(store, result)


def query(store, actor=None, stage=None, modality=None, doc=None, level=None, current_only=True,
          include_inherited=True, limit=100, offset=0) -> list[dict]:
    """Obligations filtered by actor (incl. inherited roles), stage, modality, document, level."""
    from graph.obligations.query import query as _query

    return _query(store, actor=actor, stage=stage, modality=modality, doc=doc, level=level,
                  current_only=current_only, include_inherited=include_inherited, limit=limit, offset=offset)


__all__ = ["extract", "load", "query", "ExtractionResult", "Obligation", "Term", "StageLabel", "Modality"]
