"""Marks for the lifetime counters of the models: totals that only grow (energy produced,
delivered, received), so a value lower than the last one is a gateway fault to count.

A model marks such a field with `field(metadata=LIFETIME)`; an `EnvoyData` attribute whose
objects' marked totals can fall legitimately (net consumption) says so with `NOT_COUNTED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from types import MappingProxyType

LIFETIME: Mapping[str, bool] = MappingProxyType({"lifetime": True})
NOT_COUNTED: Mapping[str, bool] = MappingProxyType({"lifetime": False})


_FOUND: dict[type, tuple[str, ...]] = {}


def lifetime_counters(model: type) -> tuple[str, ...]:
    """The fields of a model class marked LIFETIME (none for anything else)."""
    names = _FOUND.get(model)
    if names is None:
        marked = fields(model) if is_dataclass(model) else ()
        names = _FOUND[model] = tuple(f.name for f in marked if f.metadata.get("lifetime"))
    return names
