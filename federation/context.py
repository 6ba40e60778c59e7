"""What federation handlers read from the running app."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from server.config import Settings
from server.db import Sessions
from server.urls import Urls


def urls(request: Request) -> Urls:
    return request.app.state.urls


def settings(request: Request) -> Settings:
    return request.app.state.settings


def sessions(request: Request) -> Sessions:
    return request.app.state.sessions


def now(request: Request) -> datetime:
    return request.app.state.clock.now()
