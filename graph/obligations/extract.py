"""Stub: lands shortly."""
from __future__ import annotations


def extract(*args, **kwargs):
    raise NotImplementedError("graph.obligations.extract is being written")
