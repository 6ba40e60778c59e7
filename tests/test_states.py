"""State tables: every state change is a declared move made by the one helper."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select
from starlette.applications import Starlette

from server import ROOT
from server.clock import FrozenClock
from server.ids import id_for_time
from server.models import Post, PostState
from server.models.states import TABLES, InvalidTransition
from server.services import accounts, states

#: The helper and the tables: the only places a state is written.
HELPER = {ROOT / "server" / "services" / "states.py", ROOT / "server" / "models" / "states.py"}


def stateful_models() -> dict[str, type[SQLModel]]:
    """Every model class with a `state` column, by class name."""
    found: dict[str, type[SQLModel]] = {}
    for mapper in SQLModel._sa_registry.mappers:
        table = mapper.local_table
        if "state" in getattr(table, "c", {}):
            found[mapper.class_.__name__] = mapper.class_
    return found


def _enum_literal(node: ast.expr) -> tuple[str, str] | None:
    """('PostState', 'pending') for `PostState.pending`."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id, node.attr
    return None


def _starts_well(node: ast.expr, model: type[SQLModel]) -> bool:
    """Whether `node` is a state a new `model` row may begin in, as its table says."""
    table = TABLES[str(model.__tablename__)]
    if isinstance(node, ast.IfExp):
        return _starts_well(node.body, model) and _starts_well(node.orelse, model)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "start"  # checked against the table when it runs
    literal = _enum_literal(node)
    return (
        literal is not None
        and literal[0] == table.states.__name__
        and literal[1] in {s.name for s in table.initial}
    )


def handwritten_states(source: str) -> list[str]:
    """Each place in `source` that writes a state other than through the helper."""
    models = stateful_models()
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets: list[ast.expr] = (
                list(node.targets) if isinstance(node, ast.Assign) else [node.target]
            )
            while targets:
                target = targets.pop()
                if isinstance(target, ast.Tuple | ast.List):
                    targets.extend(target.elts)
                elif isinstance(target, ast.Attribute) and target.attr == "state":
                    found.append(f"{where}: assigns .state")
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                named = isinstance(key, ast.Constant) and key.value == "state"
                if named and any(
                    (literal := _enum_literal(part)) and literal[0].endswith("State")
                    for part in ast.walk(value)
                    if isinstance(part, ast.expr)
                ):
                    found.append(f"{where}: a 'state' value in a dict")
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "setattr" and len(node.args) > 1:
            second = node.args[1]
            if isinstance(second, ast.Constant) and second.value == "state":
                found.append(f"{where}: setattr state")
        for keyword in node.keywords:
            if keyword.arg != "state":
                continue
            if name == "values":
                found.append(f"{where}: .values(state=...)")
                continue
            # Creation: a model built, or inserted by name (insert_once(session, Follow, ...)).
            names = [name, *(a.id for a in node.args if isinstance(a, ast.Name))]
            model = next((models[n] for n in names if n in models), None)
            if model is not None and not _starts_well(keyword.value, model):
                found.append(f"{where}: {model.__name__} created in an undeclared state")
    return found


def test_the_check_sees_every_kind_of_handwritten_state() -> None:
    """The source check below is not vacuous: each way to write a state by hand is seen,
    and creating a row in a declared initial state is not."""
    bad = """
post.state = PostState.published
a, row.member.state = 1, "active"
update(Post).values(state=PostState.deleted)
values |= {"state": DeliveryState.failed}
setattr(follow, "state", "accepted")
Post(id=1, state=PostState.deleted)
insert_once(session, Follow, state=FollowState.requested if x else FollowState.gone)
"""
    assert len(handwritten_states(bad)) == 7, handwritten_states(bad)
    good = """
Post(id=1, state=PostState.pending)
Follow(state=FollowState.requested if locked else FollowState.accepted)
Member(state=MEMBER_STATES.start(state))
request.app.state.jobs = jobs
Grant(state=values.get("state"))
query = {"state": asked.state}
"""
    assert handwritten_states(good) == []


def test_no_state_is_written_outside_the_helper() -> None:
    """Posts, follows, deliveries and members change state only through
    server/services/states.py, so every change is a declared, conditional move."""
    problems = []
    for folder in ("server", "federation"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path in HELPER:
                continue
            for problem in handwritten_states(path.read_text()):
                problems.append(f"{path.relative_to(ROOT)} {problem}")
    assert problems == []


def test_every_state_column_has_its_table() -> None:
    """A model with a `state` column has a state table over the same enum."""
    models = stateful_models()
    assert set(models) >= {"Post", "Follow", "Delivery", "Member"}
    for model in models.values():
        table = TABLES[str(model.__tablename__)]
        field = model.model_fields["state"]
        assert field.annotation is table.states, model.__name__
        assert field.default in table.initial, model.__name__


class Untouchable:
    """A session that fails the test if anything is asked of it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the database was touched ({name})")


async def test_an_undeclared_move_is_refused_before_the_database_is_touched() -> None:
    """A deleted post cannot be published, a published one cannot return to its pause,
    and a deleted one is not deleted again."""
    session: Any = Untouchable()
    with pytest.raises(InvalidTransition, match="cannot go from deleted to published"):
        await states.move(session, Post, 1, PostState.deleted, PostState.published)
    with pytest.raises(InvalidTransition, match="cannot go from published to pending"):
        await states.move_all(
            session, Post, col(Post.id) == 1, PostState.published, PostState.pending
        )
    with pytest.raises(InvalidTransition, match="cannot be deleted while deleted"):
        await states.leave(session, Post, 1, PostState.deleted)
    with pytest.raises(InvalidTransition, match="the move's own"):
        await states.move(
            session,
            Post,
            1,
            PostState.published,
            PostState.published,
            values={"state": PostState.pending},
        )


async def test_a_declared_move_lands_once_and_an_undeclared_one_changes_nothing(
    app: Starlette, clock: FrozenClock
) -> None:
    """Ana's post is published once; a second publish finds nothing to change, and an
    attempt to send it back into its pause is refused with the row left as it was."""
    now = clock.now()
    async with app.state.sessions() as session:
        ana = await accounts.create_member(
            session, username="ana", email="ana@example.com", password="a long passphrase", now=now
        )
        post_id = id_for_time(now)
        session.add(
            Post(
                id=post_id,
                actor_id=ana.actor.id or 0,
                root_id=post_id,
                text="Hello",
                content_html="<p>Hello</p>",
                state=PostState.pending,
                publish_at=now,
            )
        )
        await session.commit()

        published = {"published_at": now}
        assert await states.move(
            session, Post, post_id, PostState.pending, PostState.published, values=published
        )
        assert not await states.move(
            session, Post, post_id, PostState.pending, PostState.published, values=published
        )
        with pytest.raises(InvalidTransition):
            await states.move(session, Post, post_id, PostState.published, PostState.pending)
        await session.commit()

        row = (await session.exec(select(Post).where(col(Post.id) == post_id))).one()
        await session.refresh(row)
        assert (row.state, row.published_at is not None) == (PostState.published, True)
