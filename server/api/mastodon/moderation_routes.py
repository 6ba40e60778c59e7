"""The client API's routes for reports and the admin API (Mastodon's paths)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from server.api.mastodon import admin, reports

GET, POST = ["GET"], ["POST"]
REPORTS = "/api/v1/admin/reports/{id}"

routes: list[BaseRoute] = [
    Route("/api/v1/reports", reports.create, methods=POST),
    # Mastodon.py posts to the path with a slash.
    Route("/api/v1/reports/", reports.create, methods=POST),
    Route("/api/v1/admin/reports", admin.list_reports, methods=GET),
    Route(REPORTS, admin.show_report, methods=GET),
    Route(f"{REPORTS}/assign_to_self", admin.assign_to_self, methods=POST),
    Route(f"{REPORTS}/unassign", admin.unassign, methods=POST),
    Route(f"{REPORTS}/resolve", admin.resolve, methods=POST),
    Route(f"{REPORTS}/reopen", admin.reopen, methods=POST),
    Route("/api/v1/admin/accounts/{id}/action", admin.account_action, methods=POST),
]
