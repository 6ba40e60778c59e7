"""Mastodon's JSON entities: the one place Porch's values become the client API's JSON.

Builders are plain functions of models and figures already read; they never query.
Shapes follow docs.joinmastodon.org/entities/: ids are strings, times are ISO 8601
with milliseconds in UTC, absent objects are null.
"""
