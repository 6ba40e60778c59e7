"""JSON Schemas for the Mastodon API entities, written from docs.joinmastodon.org, and a
check of data against them.

Each schema file is named for its entity and has that file name as its `$id`, so the
schemas refer to one another by file name ("Account.json") and an entity may name a
definition inside a file ("Application#/$defs/StatusApplication").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource

HERE = Path(__file__).parent

# Our own checks: jsonschema only checks "date-time" and "uri" when optional packages are
# installed, and silently passes everything otherwise.
FORMATS = FormatChecker(formats=())
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.I)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@FORMATS.checks("date-time")
def is_date_time(value: object) -> bool:
    """An RFC 3339 timestamp, with its time zone."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@FORMATS.checks("date")
def is_date(value: object) -> bool:
    """A calendar date, YYYY-MM-DD."""
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    """An absolute URI: a scheme, then no whitespace. A relative path fails."""
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


@FORMATS.checks("email")
def is_email(value: object) -> bool:
    """Something that looks like an address: one @ with text on both sides."""
    return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))


def schema_files() -> list[Path]:
    """Every schema file in this folder."""
    return sorted(HERE.glob("*.json"))


@cache
def registry() -> Registry:
    """A registry holding every schema, under its `$id` (its file name)."""
    resources = []
    for path in schema_files():
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def _validator(schema: dict[str, object]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=registry(), format_checker=FORMATS)


def _target(entity: str) -> str:
    name, _, fragment = entity.partition("#")
    return f"{name}.json" + (f"#{fragment}" if fragment else "")


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors underneath an anyOf (a nullable entity, say), rather than its summary;
    the branch that only allows null says nothing useful."""
    if not error.context:
        yield error
        return
    for sub in error.context:
        if sub.validator == "type" and sub.validator_value == "null":
            continue
        yield from _leaves(sub)


def _violations(schema: dict[str, object], data: object) -> list[ValidationError]:
    found = [leaf for error in _validator(schema).iter_errors(data) for leaf in _leaves(error)]
    return sorted(found, key=lambda error: (error.json_path, error.message))


def errors(entity: str, data: object) -> list[ValidationError]:
    """Every violation of `entity`'s schema by `data`, in path order."""
    return _violations({"$ref": _target(entity)}, data)


def _report(entity: str, found: list[ValidationError]) -> str:
    lines = [f"{len(found)} violation(s) of {entity}:"]
    lines += [f"  {error.json_path}: {error.message}" for error in found]
    return "\n".join(lines)


def assert_shape(entity: str, data: object) -> None:
    """Fail, listing every violation (path and message), unless `data` is a valid
    `entity` ("Status", or a definition such as "Application#/$defs/StatusApplication")."""
    found = errors(entity, data)
    if found:
        raise AssertionError(_report(entity, found))


def assert_list_of(entity: str, data: object) -> None:
    """Fail, listing every violation, unless `data` is a list of valid `entity`."""
    found = _violations({"type": "array", "items": {"$ref": _target(entity)}}, data)
    if found:
        raise AssertionError(_report(f"list of {entity}", found))
