"""The entity schemas: each is a valid schema, accepts the example Mastodon's documentation
shows for it, and rejects data that breaks it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.api.schemas import HERE, assert_list_of, assert_shape, errors, registry, schema_files

EXAMPLES = HERE / "examples"

# Examples of a definition inside a file rather than of a whole file.
TARGETS = {
    "Application": "Application#/$defs/Application",
    "CredentialApplication": "Application",
    "FilterKeyword": "Filter#/$defs/FilterKeyword",
    "FilterResult": "Filter#/$defs/FilterResult",
    "FilterStatus": "Filter#/$defs/FilterStatus",
    "Poll": "Status#/$defs/Poll",
}

# Examples the docs cut short with "// ...": the types of what they show are checked, but
# not which attributes are present.
ELIDED = {
    "Context",
    "CredentialAccount",
    "Notification.favourite",
    "Notification.mention",
    "Search",
    "StatusEdit",
}

# Exactly what each complete example lacks. Most examples were written before the
# attribute existed (the version that added it is given); the list is compared both ways,
# so it cannot outlive a change to the schemas.
DEVIATIONS: dict[str, set[str]] = {
    "Account": {
        "$: 'discoverable' is a required property",  # 3.1.0
        "$: 'group' is a required property",  # 3.1.0
        "$: 'hide_collections' is a required property",  # 4.3.0
        "$: 'uri' is a required property",  # 4.2.0
        # CustomEmoji.category (3.0.0) is missing from this example's emoji.
        "$.emojis[0]: 'category' is a required property",
        "$.emojis[1]: 'category' is a required property",
        "$.emojis[2]: 'category' is a required property",
    },
    "InstanceV1": {
        "$.configuration: 'accounts' is a required property",  # 4.0.0; example is 3.5.3
        "$.contact_account: 'hide_collections' is a required property",  # 4.3.0
        "$.contact_account: 'uri' is a required property",  # 4.2.0
        *(f"$.rules[{i}]: 'hint' is a required property" for i in range(6)),  # 4.3.0
    },
    "PreviewCard.photo": {"$: 'authors' is a required property"},  # 4.3.0
    "PreviewCard.video": {"$: 'authors' is a required property"},  # 4.3.0
    "Quote": {
        # quoted_status is the 2019 Status example again; see "Status".
        "$.quoted_status: 'edited_at' is a required property",
        "$.quoted_status: 'quote' is a required property",
        "$.quoted_status.account: 'hide_collections' is a required property",
        "$.quoted_status.account: 'uri' is a required property",
        "$.quoted_status.account.last_status_at: '2019-12-10T08:14:44.811Z' is not a 'date'",
    },
    "Report": {
        "$.target_account: 'hide_collections' is a required property",  # 4.3.0
        "$.target_account: 'uri' is a required property",  # 4.2.0
    },
    # Relationship.languages (4.0.0) is missing although the example shows requested_by (4.1.0).
    "Relationship": {"$: 'languages' is a required property"},
    "Status": {
        "$: 'edited_at' is a required property",  # 3.5.0
        "$: 'quote' is a required property",  # 4.4.0
        "$.account: 'hide_collections' is a required property",  # 4.3.0
        "$.account: 'uri' is a required property",  # 4.2.0
        # A date only since 3.1.0 ("now returns date only, no time").
        "$.account.last_status_at: '2019-12-10T08:14:44.811Z' is not a 'date'",
        "$.card: 'authors' is a required property",  # 4.3.0
        "$.card: 'blurhash' is a required property",  # 3.2.0
    },
}


def example(name: str) -> Any:
    """A documented example, as a fresh copy."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def example_names() -> list[str]:
    return sorted(path.stem for path in EXAMPLES.glob("*.json"))


def target_of(name: str) -> str:
    entity = name.split(".")[0]
    return TARGETS.get(entity, entity)


def lines(name: str) -> set[str]:
    """The violations of an example, as assert_shape reports them."""
    found = errors(target_of(name), example(name))
    if name in ELIDED:
        found = [error for error in found if error.validator != "required"]
    return {f"{error.json_path}: {error.message}" for error in found}


def refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


# --- The schemas themselves -----------------------------------------------------------


@pytest.mark.parametrize("path", schema_files(), ids=lambda path: path.stem)
def test_schema_is_valid_and_named_for_its_file(path: Path) -> None:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == path.name
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", schema_files(), ids=lambda path: path.stem)
def test_every_reference_resolves(path: Path) -> None:
    resolver = registry().resolver(base_uri=path.name)
    for ref in refs(json.loads(path.read_text())):
        resolver.lookup(ref)  # raises if the file or the definition is missing


# --- The documented examples ----------------------------------------------------------


def test_every_example_names_a_schema() -> None:
    files = {path.name for path in schema_files()}
    for name in example_names():
        assert target_of(name).split("#")[0] + ".json" in files, name
    assert set(DEVIATIONS).issubset(example_names())
    assert ELIDED.issubset(example_names())


@pytest.mark.parametrize("name", example_names())
def test_documented_example_is_accepted(name: str) -> None:
    assert lines(name) == DEVIATIONS.get(name, set())


# --- Wrong data is rejected -----------------------------------------------------------


def documented_account() -> dict[str, Any]:
    """The Instance example's contact account, the one documented Account that has every
    attribute the Account page lists."""
    return example("Instance")["contact"]["account"]


def documented_status() -> dict[str, Any]:
    """The documented Status, completed with the documented empty values of the attributes
    its example predates (see DEVIATIONS), so that it passes whole."""
    status = example("Status")
    status |= {"edited_at": None, "quote": None, "account": documented_account()}
    status["card"] |= {"authors": [], "blurhash": None}
    return status


def documented_notification() -> dict[str, Any]:
    """The documented mention notification, with a whole account and status and the
    documented form of an ungrouped notification's group_key."""
    notification = example("Notification.mention")
    notification |= {
        "group_key": f"ungrouped-{notification['id']}",
        "account": documented_account(),
        "status": documented_status(),
    }
    return notification


BASES: dict[str, Callable[[], Any]] = {
    "Account": documented_account,
    "Status": documented_status,
    "Notification": documented_notification,
    "MediaAttachment": lambda: example("MediaAttachment.image"),
    "Marker": lambda: example("Marker"),
    "Relationship": lambda: example("Relationship") | {"languages": []},
    "CredentialAccount": lambda: documented_account() | example("CredentialAccount"),
}


def set_path(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def drop_path(data: Any, path: tuple[str | int, ...]) -> None:
    for key in path[:-1]:
        data = data[key]
    del data[path[-1]]


BROKEN: list[tuple[str, str, Callable[[Any], None], str]] = [
    (
        "Account",
        "integer id",
        lambda d: set_path(d, ("id",), 13179),
        "$.id: 13179 is not of type 'string'",
    ),
    (
        "Account",
        "relative avatar URL",
        lambda d: set_path(d, ("avatar",), "/avatars/1.png"),
        "$.avatar: '/avatars/1.png' is not a 'uri'",
    ),
    (
        "Account",
        "timestamp without a zone",
        lambda d: set_path(d, ("created_at",), "2016-11-23 00:00:00"),
        "$.created_at: '2016-11-23 00:00:00' is not a 'date-time'",
    ),
    (
        "Status",
        "no content",
        lambda d: drop_path(d, ("content",)),
        "$: 'content' is a required property",
    ),
    (
        "Status",
        "unknown visibility",
        lambda d: set_path(d, ("visibility",), "everyone"),
        "$.visibility: 'everyone' is not one of ['public', 'unlisted', 'private', 'direct']",
    ),
    (
        "Status",
        "account with an integer id",
        lambda d: set_path(d, ("account", "id"), 1),
        "$.account.id: 1 is not of type 'string'",
    ),
    (
        "Status",
        "reblog of a status without an id",
        lambda d: set_path(
            d, ("reblog",), {k: v for k, v in documented_status().items() if k != "id"}
        ),
        "$.reblog: 'id' is a required property",
    ),
    (
        "Status",
        "count as a string",
        lambda d: set_path(d, ("replies_count",), "5"),
        "$.replies_count: '5' is not of type 'integer'",
    ),
    (
        "Notification",
        "unknown type",
        lambda d: set_path(d, ("type",), "like"),
        "$.type: 'like' is not one of ['mention', 'status', 'reblog', 'follow', 'follow_request',"
        " 'favourite', 'poll', 'update', 'admin.sign_up', 'admin.report', 'severed_relationships',"
        " 'moderation_warning', 'quote', 'quoted_update']",
    ),
    (
        "Notification",
        "favourite without its status",
        lambda d: (set_path(d, ("type",), "favourite"), drop_path(d, ("status",))),
        "$: 'status' is a required property",
    ),
    (
        "MediaAttachment",
        "unknown type",
        lambda d: set_path(d, ("type",), "picture"),
        "$.type: 'picture' is not one of ['unknown', 'image', 'gifv', 'video', 'audio']",
    ),
    (
        "Marker",
        "version as a string",
        lambda d: set_path(d, ("home", "version"), "468"),
        "$.home.version: '468' is not of type 'integer'",
    ),
    (
        "Relationship",
        "no requested_by",
        lambda d: drop_path(d, ("requested_by",)),
        "$: 'requested_by' is a required property",
    ),
    (
        "CredentialAccount",
        "no source",
        lambda d: drop_path(d, ("source",)),
        "$: 'source' is a required property",
    ),
]


@pytest.mark.parametrize(
    ("entity", "break_it", "expected"),
    [(entity, break_it, expected) for entity, _, break_it, expected in BROKEN],
    ids=[f"{entity}: {why}" for entity, why, _, _ in BROKEN],
)
def test_wrong_data_is_rejected(
    entity: str, break_it: Callable[[Any], None], expected: str
) -> None:
    data = BASES[entity]()
    assert_shape(entity, data)  # the data is right before it is broken
    broken = copy.deepcopy(data)
    break_it(broken)
    with pytest.raises(AssertionError) as failure:
        assert_shape(entity, broken)
    assert f"  {expected}" in str(failure.value).splitlines(), str(failure.value)


# --- The helpers ----------------------------------------------------------------------


def test_assert_shape_lists_every_violation() -> None:
    status = documented_status()
    status["id"] = 103270115826048975
    del status["account"]["username"]
    with pytest.raises(AssertionError) as failure:
        assert_shape("Status", status)
    assert str(failure.value).splitlines() == [
        "2 violation(s) of Status:",
        "  $.account: 'username' is a required property",
        "  $.id: 103270115826048975 is not of type 'string'",
    ]


def test_assert_shape_takes_a_definition() -> None:
    assert_shape("Application#/$defs/StatusApplication", {"name": "Web", "website": None})
    with pytest.raises(AssertionError, match=r"\$: 'website' is a required property"):
        assert_shape("Application#/$defs/StatusApplication", {"name": "Web"})


def test_assert_list_of() -> None:
    assert_list_of("Account", [documented_account(), documented_account()])
    assert_list_of("Account", [])
    broken = documented_account() | {"bot": "no"}
    with pytest.raises(AssertionError) as failure:
        assert_list_of("Account", [documented_account(), broken])
    assert "  $[1].bot: 'no' is not of type 'boolean'" in str(failure.value).splitlines()
    with pytest.raises(AssertionError, match=r"is not of type 'array'"):
        assert_list_of("Account", documented_account())
