"""The client API's route table (Mastodon's paths), and OAuth's JSON endpoints."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route, WebSocketRoute

from server.api.mastodon import (
    accounts,
    instance,
    interaction_requests,
    lists,
    media,
    moderation_routes,
    notifications,
    oauth,
    quiet,
    search,
    statuses,
    stewardship,
    streaming,
    timelines,
)

GET, POST, PUT, PATCH, DELETE = ["GET"], ["POST"], ["PUT"], ["PATCH"], ["DELETE"]
V1 = "/api/v1"

#: Features Porch does not have: apps get an empty list instead of an error.
EMPTY_LISTS = (
    "/api/v1/custom_emojis",
    "/api/v1/announcements",
    "/api/v1/filters",
    "/api/v2/filters",
    "/api/v1/followed_tags",
    "/api/v1/featured_tags",
    "/api/v1/featured_tags/suggestions",
    "/api/v1/endorsements",
    "/api/v1/domain_blocks",
    "/api/v1/trends",
    "/api/v1/trends/tags",
    "/api/v1/trends/statuses",
    "/api/v1/trends/links",
    "/api/v1/suggestions",
    "/api/v2/suggestions",
    "/api/v1/conversations",
    "/api/v1/scheduled_statuses",
    "/api/v1/instance/peers",
    "/api/v1/instance/activity",
    "/api/v1/instance/domain_blocks",
    "/api/v1/directory",
)

routes: list[BaseRoute] = [
    # OAuth and apps
    Route(f"{V1}/apps", oauth.register, methods=POST),
    Route(f"{V1}/apps/verify_credentials", oauth.verify_app, methods=GET),
    Route("/oauth/token", oauth.issue_token, methods=POST),
    Route("/oauth/revoke", oauth.revoke_token, methods=POST),
    Route("/.well-known/oauth-authorization-server", oauth.server_metadata, methods=GET),
    # Instance
    Route(f"{V1}/instance", instance.instance_v1, methods=GET),
    Route("/api/v2/instance", instance.instance_v2, methods=GET),
    Route(f"{V1}/instance/rules", instance.rules, methods=GET),
    Route(f"{V1}/preferences", instance.preferences, methods=GET),
    Route(f"{V1}/markers", instance.get_markers, methods=GET),
    Route(f"{V1}/markers", instance.save_markers, methods=POST),
    *(Route(path, instance.empty_list, methods=GET) for path in EMPTY_LISTS),
    # Accounts
    Route(f"{V1}/accounts/verify_credentials", accounts.verify_credentials, methods=GET),
    Route(f"{V1}/accounts/update_credentials", accounts.update_credentials, methods=PATCH),
    Route(f"{V1}/accounts/relationships", accounts.relationships_of, methods=GET),
    Route(f"{V1}/accounts/familiar_followers", accounts.familiar_followers, methods=GET),
    Route(f"{V1}/accounts/lookup", accounts.lookup, methods=GET),
    Route(f"{V1}/accounts/search", search.accounts_search, methods=GET),
    Route(f"{V1}/accounts/{{id}}", accounts.show, methods=GET),
    Route(f"{V1}/accounts/{{id}}/statuses", accounts.statuses, methods=GET),
    Route(f"{V1}/accounts/{{id}}/followers", accounts.followers, methods=GET),
    Route(f"{V1}/accounts/{{id}}/following", accounts.following, methods=GET),
    Route(f"{V1}/accounts/{{id}}/lists", lists.containing, methods=GET),
    Route(f"{V1}/accounts/{{id}}/featured_tags", instance.empty_list, methods=GET),
    Route(f"{V1}/accounts/{{id}}/identity_proofs", instance.empty_list, methods=GET),
    Route(f"{V1}/accounts/{{id}}/follow", accounts.follow, methods=POST),
    Route(f"{V1}/accounts/{{id}}/unfollow", accounts.unfollow, methods=POST),
    Route(
        f"{V1}/accounts/{{id}}/remove_from_followers", accounts.remove_from_followers, methods=POST
    ),
    Route(f"{V1}/accounts/{{id}}/block", accounts.block, methods=POST),
    Route(f"{V1}/accounts/{{id}}/unblock", accounts.unblock, methods=POST),
    Route(f"{V1}/accounts/{{id}}/mute", accounts.mute, methods=POST),
    Route(f"{V1}/accounts/{{id}}/unmute", accounts.unmute, methods=POST),
    Route(f"{V1}/follow_requests", accounts.follow_requests, methods=GET),
    Route(f"{V1}/follow_requests/{{id}}/authorize", accounts.authorize_request, methods=POST),
    Route(f"{V1}/follow_requests/{{id}}/reject", accounts.reject_request, methods=POST),
    Route(f"{V1}/interaction_requests", interaction_requests.listing, methods=GET),
    Route(f"{V1}/interaction_requests/{{id}}", interaction_requests.show, methods=GET),
    Route(
        f"{V1}/interaction_requests/{{id}}/authorize", interaction_requests.authorize, methods=POST
    ),
    Route(f"{V1}/interaction_requests/{{id}}/reject", interaction_requests.reject, methods=POST),
    Route(f"{V1}/blocks", accounts.blocked, methods=GET),
    Route(f"{V1}/mutes", accounts.muted, methods=GET),
    # Statuses
    Route(f"{V1}/statuses", statuses.create, methods=POST),
    Route(f"{V1}/statuses/{{id}}", statuses.show, methods=GET),
    Route(f"{V1}/statuses/{{id}}", statuses.update, methods=PUT),
    Route(f"{V1}/statuses/{{id}}", statuses.delete, methods=DELETE),
    Route(f"{V1}/statuses/{{id}}/context", statuses.context, methods=GET),
    Route(f"{V1}/statuses/{{id}}/source", statuses.status_source, methods=GET),
    Route(f"{V1}/statuses/{{id}}/history", statuses.history, methods=GET),
    Route(f"{V1}/statuses/{{id}}/favourite", statuses.favourite, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unfavourite", statuses.unfavourite, methods=POST),
    Route(f"{V1}/statuses/{{id}}/reblog", statuses.reblog, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unreblog", statuses.unreblog, methods=POST),
    Route(f"{V1}/statuses/{{id}}/bookmark", statuses.bookmark, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unbookmark", statuses.unbookmark, methods=POST),
    Route(f"{V1}/statuses/{{id}}/mute", quiet.mute_conversation, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unmute", quiet.unmute_conversation, methods=POST),
    Route(f"{V1}/statuses/{{id}}/pin", statuses.pin, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unpin", statuses.unpin, methods=POST),
    Route(f"{V1}/statuses/{{id}}/hide", stewardship.hide, methods=POST),
    Route(f"{V1}/statuses/{{id}}/unhide", stewardship.unhide, methods=POST),
    Route(f"{V1}/statuses/{{id}}/favourited_by", statuses.favourited_by, methods=GET),
    Route(f"{V1}/statuses/{{id}}/reblogged_by", statuses.reblogged_by, methods=GET),
    # Timelines and what a member kept
    Route(f"{V1}/timelines/home", timelines.home, methods=GET),
    Route(f"{V1}/timelines/public", timelines.public, methods=GET),
    Route(f"{V1}/timelines/tag/{{tag}}", timelines.tag, methods=GET),
    Route(f"{V1}/tags/{{tag}}", timelines.tag_info, methods=GET),
    Route(f"{V1}/timelines/list/{{id}}", lists.timeline, methods=GET),
    Route(f"{V1}/bookmarks", timelines.bookmarked, methods=GET),
    Route(f"{V1}/favourites", timelines.favourites, methods=GET),
    # Lists
    Route(f"{V1}/lists", lists.index, methods=GET),
    Route(f"{V1}/lists", lists.create, methods=POST),
    Route(f"{V1}/lists/{{id}}", lists.show, methods=GET),
    Route(f"{V1}/lists/{{id}}", lists.update, methods=PUT),
    Route(f"{V1}/lists/{{id}}", lists.delete, methods=DELETE),
    Route(f"{V1}/lists/{{id}}/accounts", lists.members, methods=GET),
    Route(f"{V1}/lists/{{id}}/accounts", lists.add_members, methods=POST),
    Route(f"{V1}/lists/{{id}}/accounts", lists.remove_members, methods=DELETE),
    # Notifications
    Route(f"{V1}/notifications", notifications.listing, methods=GET),
    Route(f"{V1}/notifications/clear", notifications.clear, methods=POST),
    Route(f"{V1}/notifications/unread_count", notifications.unread_count, methods=GET),
    *quiet.routes,
    Route(f"{V1}/notifications/{{id}}", notifications.show, methods=GET),
    Route(f"{V1}/notifications/{{id}}/dismiss", notifications.dismiss, methods=POST),
    # Streaming
    WebSocketRoute(f"{V1}/streaming", streaming.websocket),
    Route(f"{V1}/streaming/health", streaming.health, methods=["GET", "HEAD"]),
    Route(f"{V1}/streaming/{{stream:path}}", streaming.sse, methods=GET),
    # Search and media
    Route("/api/v2/search", search.search_v2, methods=GET),
    Route(f"{V1}/media", media.upload, methods=POST),
    Route("/api/v2/media", media.upload, methods=POST),
    Route(f"{V1}/media/{{id}}", media.show, methods=GET),
    Route(f"{V1}/media/{{id}}", media.update, methods=PUT),
    *moderation_routes.routes,
]
