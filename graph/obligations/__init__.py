"""Obligations: who must, must not or may do what, when — extracted from provisions, linked to actors and stages.

Entry points used by graph.build and graph.queries:
  extract(parsed_docs) -> ExtractionResult
  load(store, result)
  query(store, actor=…, stage=…, …) -> list[ObligationItem]
  page(store, limit=…, offset=…, actor=…, …) -> ObligationPage (with the total)
"""
from __future__ import annotations

# the submodules are imported first so that the functions below, not the modules of the same name, are what
# `graph.obligations.extract/load/query` name
from graph.obligations import extract as _extract_mod  # noqa: E402
from graph.obligations import load as _load_mod  # noqa: E402
from graph.obligations import query as _query_mod  # noqa: E402
from graph.obligations.model import (ExtractionResult, InheritedVia, Modality, Obligation, ObligationItem,
                                     ObligationPage, PenaltyLink, StageLabel, Term)


def extract(parsed_docs) -> ExtractionResult:
    """Run the rule pipeline over every provision of the parsed (Chinese) documents."""
    return _extract_mod.extract(parsed_docs)


def load(store, result: ExtractionResult, doc_ids: list[str] | None = None) -> dict:
    """MERGE obligations, actors, stages, regulators and terms into the graph store (idempotent)."""
    return _load_mod.load(store, result, doc_ids=doc_ids)


def query(store, actor=None, stage=None, modality=None, doc=None, level=None, current_only=True,
          include_inherited=True, limit=100, offset=0, regulator_duties=None, doc_ids=None) -> list[ObligationItem]:
    """Obligations filtered by actor (incl. inherited roles, with the reason), stage, modality, document, level;
    doc_ids (the versions in force on an as-of date) replaces current_only."""
    return _query_mod.query(store, actor=actor, stage=stage, modality=modality, doc=doc, level=level,
                            current_only=current_only, include_inherited=include_inherited, limit=limit,
                            offset=offset, regulator_duties=regulator_duties, doc_ids=doc_ids)


def page(store, limit: int = 50, offset: int = 0, **filters) -> ObligationPage:
    """One page of `query` with the total count and the next offset."""
    return _query_mod.page(store, limit=limit, offset=offset, **filters)


__all__ = ["extract", "load", "query", "page", "ExtractionResult", "Obligation", "ObligationItem", "ObligationPage",
           "PenaltyLink", "InheritedVia", "Term", "StageLabel", "Modality"]
