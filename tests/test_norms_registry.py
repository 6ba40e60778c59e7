"""The norms registry: each default lives there only, and every norm is used.

The registry (server/services/norms_registry.py) is data. Each consumer declares its
settings with `norm_field`, so a settings field is a norm by construction; the settings
that seed a norm from the environment take their default and range from the registry.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from pathlib import Path

import pytest

from server import ROOT
from server.config import Settings, load_settings
from server.services import norm_settings, norms, norms_registry
from server.services.cards import CardNorms
from server.services.norm_settings import NESTED, NORM, norms_of
from server.services.norms_registry import BY_NAME, REGISTRY
from server.services.posting_rules import Rules
from server.services.ranking import Weights
from server.services.slow_mode import Limits
from server.services.thread_sums import Thresholds
from tests.test_architecture import imports_of


def settings_classes() -> set[type]:
    """Every dataclass in server/services with at least one field that holds a norm."""
    found: set[type] = set()
    for path in sorted((ROOT / "server" / "services").glob("*.py")):
        module = importlib.import_module(f"server.services.{path.stem}")
        for value in vars(module).values():
            is_settings = isinstance(value, type) and dataclasses.is_dataclass(value)
            if is_settings and any(NORM in f.metadata for f in dataclasses.fields(value)):
                found.add(value)
    return found


def quoted_norm_reads() -> dict[str, set[str]]:
    """Norm names read by subscript (`found["timeline.default"]`) in server/ and federation/,
    with the files that read them."""
    groups = {item.name.split(".")[0] for item in REGISTRY}
    dotted = re.compile(rf"^(?:{'|'.join(sorted(groups))})\.[a-z_]+$")
    reads: dict[str, set[str]] = {}
    for path in [*(ROOT / "server").rglob("*.py"), *(ROOT / "federation").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)
                and dotted.match(node.slice.value)
            ):
                reads.setdefault(node.slice.value, set()).add(path.name)
    return reads


def test_the_consumers_settings_are_found() -> None:
    assert {Rules, Limits, Weights, Thresholds, CardNorms} <= settings_classes()


def test_every_consumer_field_comes_from_the_registry() -> None:
    """A settings field is a norm (or settings built from norms); a field that is not,
    such as the posting rules' base URL, has no default that could copy one."""
    for settings in settings_classes():
        for item in dataclasses.fields(settings):
            where = f"{settings.__qualname__}.{item.name}"
            if NORM in item.metadata:
                name = item.metadata[NORM]
                assert name in BY_NAME, f"{where} reads {name}, which is no norm"
                converted = item.metadata["convert"](BY_NAME[name].default)
                assert item.default == converted, f"{where} defaults to something else"
            elif NESTED in item.metadata:
                assert item.default == norm_settings.build(
                    item.metadata[NESTED], norms_registry.DEFAULTS
                ), where
            else:
                assert item.default is dataclasses.MISSING, f"{where} has a default of its own"
                assert item.default_factory is dataclasses.MISSING, where


def test_every_norm_is_consumed() -> None:
    """Each norm is read by some consumer's settings or by name where it is shown."""
    consumed = set().union(*(norms_of(settings) for settings in settings_classes()))
    named = set(quoted_norm_reads())
    unused = [item.name for item in REGISTRY if item.name not in consumed | named]
    assert not unused, f"norms nothing reads: {unused}"


def test_every_norm_read_by_name_is_in_the_registry() -> None:
    unknown = {name: files for name, files in quoted_norm_reads().items() if name not in BY_NAME}
    assert not unknown, f"reads of norms the registry does not have: {unknown}"


def test_a_settings_class_builds_from_the_norms_in_force() -> None:
    found = dict(norms_registry.DEFAULTS) | {
        "pause.post_seconds": 90,
        "slowmode.interval_seconds": 300,
        "tone.indicators": ["kind"],
        "ranking.pileon_stranger_percent": 50,
    }
    rules = norm_settings.build(
        Rules, found, base_url="https://porch.example", confirmed_only=False, arm=""
    )
    assert rules.pause_post.total_seconds() == 90
    assert rules.slow_limits.interval.total_seconds() == 300
    assert rules.tone_indicators == ("kind",)
    assert rules.base_url == "https://porch.example"
    assert norm_settings.build(Thresholds, found).pileon_share == 0.5
    assert Weights() == norm_settings.build(Weights, norms_registry.DEFAULTS)


def test_the_registry_is_data_that_imports_no_other_service() -> None:
    path = ROOT / "server" / "services" / "norms_registry.py"
    services = {name for name in imports_of(path) if name.startswith("server")}
    # The errors are the services' vocabulary: a refused value is an Invalid.
    assert services <= {"server.services.errors"}, services


@pytest.mark.parametrize("item", [n for n in REGISTRY if n.setting], ids=lambda n: n.name)
def test_a_seeding_setting_takes_its_default_and_range_from_the_registry(
    item: norms.Norm,
) -> None:
    field = Settings.model_fields[item.setting]
    assert item.parse(field.default) == item.default
    bounds = {type(m).__name__: m for m in field.metadata}
    if item.minimum is not None:
        assert bounds["Ge"].ge == item.minimum
        assert bounds["Le"].le == item.maximum


def test_the_environment_still_seeds_a_norm_until_an_admin_sets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORCH_PAUSE_POST_SECONDS", "45")
    monkeypatch.setenv("PORCH_REGISTRATION_MODE", "approval")
    settings = load_settings(data_dir=tmp_path)
    assert norms.norm("pause.post_seconds").default_for(settings) == 45
    assert norms.norm("registrations.mode").default_for(settings) == "approval"
    assert norms.norm("pause.reply_seconds").default_for(settings) == 20


async def test_the_norms_in_force_start_from_the_environment(app) -> None:  # type: ignore[no-untyped-def]
    settings = app.state.settings.model_copy(update={"pause_post_seconds": 45})
    async with app.state.sessions() as session:
        found = await norms.current(session, settings)
    assert found["pause.post_seconds"] == 45
    assert "pause.post_seconds" not in found.changed
