"""Consumers' settings from the norms: fields that name the norm they hold, and a builder.

A consumer (posting rules, ranking weights, signal thresholds, cards …) declares a frozen
dataclass whose fields are `norm_field("name", convert)`; the field's default is the
registry's default, converted, and `build` fills the dataclass from the norms in force.
So a default is never written twice, and tests/test_norms_registry.py can walk every
field back to its norm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import field, fields
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from server.services.errors import Invalid
from server.services.norms_registry import BY_NAME, DEFAULTS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: Field metadata keys.
NORM, CONVERT, NESTED = "norm", "convert", "nested"
T = TypeVar("T", bound="DataclassInstance")


class NormValues(Protocol):
    """Norm values by name: the norms in force, or a plain dict of them."""

    def __getitem__(self, name: str, /) -> Any: ...


def _same(value: Any) -> Any:
    return value


# Converters from a norm's stored unit to the one its consumer works in.
def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def days(value: float) -> timedelta:
    return timedelta(days=value)


def share(percent: float) -> float:
    """A percentage as a fraction (80 as 0.8)."""
    return percent / 100


def lines(value: list[str]) -> tuple[str, ...]:
    return tuple(value)


def norm_field(name: str, convert: Callable[[Any], Any] = _same) -> Any:
    """A settings field holding norm `name` (through `convert`, e.g. seconds to a
    timedelta); its default is the registry's, converted the same way."""
    return field(default=convert(BY_NAME[name].default), metadata={NORM: name, CONVERT: convert})


def nested_field(settings: type[DataclassInstance]) -> Any:
    """A settings field holding another settings class, built from the same norms."""
    return field(default=build(settings, DEFAULTS), metadata={NESTED: settings})


def build(settings: type[T], found: NormValues, **others: Any) -> T:
    """Settings class `settings` filled from the norms in `found`; `others` give the
    fields that are not norms (a base URL …)."""
    values = dict(others)
    for item in fields(settings):
        if NORM in item.metadata:
            values[item.name] = item.metadata[CONVERT](found[item.metadata[NORM]])
        elif NESTED in item.metadata:
            values[item.name] = build(item.metadata[NESTED], found)
    return settings(**values)


def norms_of(settings: type[DataclassInstance]) -> frozenset[str]:
    """The norms a settings class reads, its nested settings' included."""
    names: set[str] = set()
    for item in fields(settings):
        if NORM in item.metadata:
            names.add(item.metadata[NORM])
        elif NESTED in item.metadata:
            names |= norms_of(item.metadata[NESTED])
    return frozenset(names)


def in_force(
    rows: Iterable[tuple[str, Any]], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], frozenset[str]]:
    """The values stored rows stand for, over `defaults`, and the names they changed.

    A row for a norm a later version retired, or outside `defaults`, is passed over, and
    so is a value an older range allowed: the default holds.
    """
    values, changed = dict(defaults), set[str]()
    for name, raw in rows:
        known = BY_NAME.get(name)
        if known is None or name not in values:
            continue
        try:
            values[name] = known.parse(raw)
        except Invalid:
            continue
        changed.add(name)
    return values, frozenset(changed)
