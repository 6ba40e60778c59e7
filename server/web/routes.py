"""The web UI's route table."""

from __future__ import annotations

from starlette.routing import Route

from server.web import admin, auth, compose, health, oauth, pages, profile, social

routes = [
    Route("/", pages.home, name="home"),
    Route("/healthz", health.healthz),
    Route("/local", pages.local, name="local"),
    Route("/tags/{tag}", pages.tag, name="tag"),
    Route("/notifications", pages.notifications_page, name="notifications"),
    Route("/signup", auth.signup_page, methods=["GET"]),
    Route("/signup", auth.signup, methods=["POST"]),
    Route("/login", auth.login_page, methods=["GET"]),
    Route("/login", auth.login, methods=["POST"]),
    Route("/logout", auth.logout, methods=["POST"]),
    Route("/compose", compose.compose_page, methods=["GET"]),
    Route("/posts", compose.create, methods=["POST"]),
    Route("/posts/{post_id}/edit", compose.edit_page, methods=["GET"]),
    Route("/posts/{post_id}/edit", compose.edit, methods=["POST"]),
    Route("/posts/{post_id}/revise", compose.revise_page, methods=["GET"]),
    Route("/posts/{post_id}/revise", compose.revise, methods=["POST"]),
    Route("/posts/{post_id}/withdraw", compose.withdraw, methods=["POST"]),
    Route("/posts/{post_id}/delete", compose.delete, methods=["POST"]),
    Route("/posts/{post_id}/{action:str}", social.react, methods=["POST"]),
    Route("/search", social.search, methods=["GET"]),
    Route("/authorize_interaction", social.authorize_interaction, methods=["GET"]),
    Route("/follow_requests", social.follow_requests, methods=["GET"]),
    Route("/follow_requests/{follower_id}/{action:str}", social.answer, methods=["POST"]),
    Route("/drafts", compose.drafts_page, methods=["GET"]),
    Route("/drafts/{draft_id}/discard", compose.discard, methods=["POST"]),
    Route("/settings/profile", profile.edit_page, methods=["GET"]),
    Route("/settings/profile", profile.save, methods=["POST"]),
    Route("/settings/apps", oauth.apps_page, methods=["GET"]),
    Route("/settings/apps/{app_id}/revoke", oauth.revoke_app, methods=["POST"]),
    Route("/oauth/authorize", oauth.authorize_page, methods=["GET"]),
    Route("/oauth/authorize", oauth.authorize, methods=["POST"]),
    Route("/admin/members", admin.members, methods=["GET"]),
    Route("/admin/members/{username}/{action}", admin.act, methods=["POST"]),
    Route("/admin/domains", admin.domain_policies, methods=["GET"]),
    Route("/admin/domains", admin.set_domain_policy, methods=["POST"]),
    Route("/@{username}", pages.profile, name="profile"),
    Route("/@{username}/followers", pages.followers),
    Route("/@{username}/following", pages.following),
    *(Route(f"/@{{username}}/{name}", pages.relate, methods=["POST"]) for name in pages.RELATIONS),
    Route("/@{username}/{post_id}", pages.post, name="post"),
]
