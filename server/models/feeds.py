"""Feeds: a member's home and lists kept as ordered rows of post ids."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlmodel import Column, Field, SQLModel

#: The `feed` of a member's home; a list's feed is the list's id.
HOME = 0


class FeedEntry(SQLModel, table=True):
    """One post in one of a member's feeds (home, or one of their lists).

    The primary key is the order a page reads: one member's feed, newest post first.
    `author_id` is the post's author, so a suspension or an unfollow removes by author.
    """

    __tablename__ = "feed_entries"

    owner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    )
    #: HOME (0) or the id of one of the owner's lists.
    feed: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    post_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("posts.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        )
    )
    author_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))


class FeedFloor(SQLModel, table=True):
    """Where a feed that was cut to its bound stops knowing: it holds every post its
    owner may see from `floor` up, and nothing about older ones (pages there are
    computed). A feed without a floor holds everything."""

    __tablename__ = "feed_floors"

    owner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("actors.id", ondelete="CASCADE"), primary_key=True)
    )
    feed: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    floor: int = Field(sa_column=Column(BigInteger, nullable=False))
