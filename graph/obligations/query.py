"""Stub: lands shortly."""
from __future__ import annotations


def query(*args, **kwargs):
    raise NotImplementedError("graph.obligations.query is being written")
