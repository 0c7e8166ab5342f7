"""Inputs tests share: what the enable wizard posts for the demo estate (the demo's own)."""

from __future__ import annotations

from workloads.demo import supervisor_raw_spec

__all__ = ["supervisor_raw_spec"]
