"""Activity ids kept with the rows they were sent for

Likes, follows and blocks get a token that names the activity sent for them, instead of
their row id (which SQLite hands out again after a delete). Rows from before keep their
row id as token, so an Undo sent later names the activity that was sent; new tokens are
longer and never all digits. The outbox's `snapshot` becomes its typed `payload`
(rows still waiting to go out are converted). A downgrade keeps payloads as they are:
let waiting rows go out first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 13:20:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("likes", "follows", "blocks")
#: The payload keys of outbox rows written before this revision, per kind.
_OLD_ID_KEYS = {
    "like": "like_id",
    "undo_like": "like_id",
    "follow": "follow_id",
    "undo_follow": "follow_id",
    "block": "block_id",
    "undo_block": "block_id",
}
_MINTED = ("update", "update_actor", "accept_follow", "reject_follow")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("activity_id", sqlmodel.sql.sqltypes.AutoString(length=26), nullable=True)
            )
        op.execute(f"UPDATE {table} SET activity_id = CAST(id AS VARCHAR(26))")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "activity_id",
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=26),
                nullable=False,
            )
            batch_op.create_index(
                batch_op.f(f"ix_{table}_activity_id"), ["activity_id"], unique=True
            )

    with op.batch_alter_table("outbox_items", schema=None) as batch_op:
        batch_op.alter_column("snapshot", new_column_name="payload", existing_type=sa.JSON())
    _convert_waiting_payloads()


def _convert_waiting_payloads() -> None:
    """Outbox rows not yet fanned out get the payload the builders now read."""
    items = sa.table(
        "outbox_items",
        sa.column("id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("fanned_out_at", sa.DateTime()),
    )
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(items.c.id, items.c.kind, items.c.payload).where(items.c.fanned_out_at.is_(None))
    ).all()
    for item_id, kind, old in waiting:
        old = old or {}
        if kind in _OLD_ID_KEYS:
            new = {"activity_id": str(old.get(_OLD_ID_KEYS[kind], 0))}
        elif kind in _MINTED:
            # 26 lower-case characters, like the tokens Porch mints from now on.
            new = {"activity_id": secrets.token_hex(13)}
            if kind in ("accept_follow", "reject_follow"):
                new["follow_uri"] = old.get("follow_uri")
        elif kind == "undo_announce":
            new = {"boost_id": old.get("boost_id"), "post_id": old.get("post_id")}
        else:
            new = {}
        connection.execute(sa.update(items).where(items.c.id == item_id).values(payload=new))


def downgrade() -> None:
    with op.batch_alter_table("outbox_items", schema=None) as batch_op:
        batch_op.alter_column("payload", new_column_name="snapshot", existing_type=sa.JSON())
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_activity_id"))
            batch_op.drop_column("activity_id")
