"""State tables: every state change is a declared move made by the one helper."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import SQLModel, col, select
from starlette.applications import Starlette

from server.clock import FrozenClock
from server.ids import id_for_time
from server.models import Post, PostState
from server.models.states import TABLES, InvalidTransition
from server.services import accounts, states


def stateful_models() -> dict[str, type[SQLModel]]:
    """Every model class with a `state` column, by class name."""
    found: dict[str, type[SQLModel]] = {}
    for mapper in SQLModel._sa_registry.mappers:
        table = mapper.local_table
        if "state" in getattr(table, "c", {}):
            found[mapper.class_.__name__] = mapper.class_
    return found


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
    and a published one cannot be deleted as if withdrawn."""
    session: Any = Untouchable()
    with pytest.raises(InvalidTransition, match="cannot go from deleted to published"):
        await states.move(session, Post, 1, PostState.deleted, PostState.published)
    with pytest.raises(InvalidTransition, match="cannot go from published to pending"):
        await states.move_all(
            session, Post, col(Post.id) == 1, PostState.published, PostState.pending
        )
    with pytest.raises(InvalidTransition, match="cannot be deleted while published"):
        await states.leave(session, Post, 1, PostState.published)
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
