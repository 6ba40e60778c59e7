"""Settings: the only place that reads the environment."""

from __future__ import annotations

import os
import secrets
import ssl
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.services.norms_registry import BY_NAME, RegistrationMode

__all__ = ["RegistrationMode", "Settings", "SettingsError", "load_settings"]


def _seeds(norm: str) -> Any:
    """A setting that seeds a norm's default: its own default and range are the norm's, so
    each number lives in the registry only (server/services/norms_registry.py)."""
    found = BY_NAME[norm]
    return Field(
        found.default,
        ge=found.minimum,
        le=found.maximum,
        validate_default=True,
        description=f"Seeds the norm {norm}: {found.label}",
    )


class SettingsError(Exception):
    """A setting is invalid; the message names it and says why, in one line."""


class Settings(BaseSettings):
    """Porch's settings, read from PORCH_* environment variables (see .env.example)."""

    model_config = SettingsConfigDict(env_prefix="PORCH_", extra="ignore", frozen=True)

    domain: str = Field(
        "localhost:8000", description="Public host name (and port) of this instance"
    )
    https: bool | None = Field(
        None, description="Served over https; defaults to true except for localhost"
    )
    data_dir: Path = Field(Path("data"), description="Where the database, media and key live")
    database_url: str = Field("", description="SQLAlchemy URL; default SQLite in the data dir")
    redis_url: str = Field(
        "", description="Redis URL for the arq queue; empty runs jobs in-process"
    )
    secret_key: str = Field("", description="Signs sessions; generated into the data dir if empty")
    # The settings that seed a norm's default (an admin's value, once set, wins).
    registration_mode: RegistrationMode = _seeds("registrations.mode")
    pause_post_seconds: int = _seeds("pause.post_seconds")
    pause_reply_seconds: int = _seeds("pause.reply_seconds")
    pause_mutual_reply_seconds: int = _seeds("pause.mutual_reply_seconds")
    pause_stranger_reply_seconds: int = _seeds("pause.stranger_reply_seconds")
    posts_per_day: int = _seeds("budget.posts_per_day")
    newcomer_posts_per_day: int = _seeds("budget.newcomer_posts_per_day")
    newcomer_days: int = _seeds("budget.newcomer_days")
    max_post_chars: int = _seeds("posts.max_chars")
    holdout_cards_percent: int = _seeds("holdouts.cards_percent")
    holdout_nudges_percent: int = _seeds("holdouts.nudges_percent")
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    max_upload_bytes: Annotated[int, Field(ge=1024)] = 8_388_608
    login_attempts_per_5min: Annotated[int, Field(ge=1)] = 10
    public_cache_seconds: Annotated[float, Field(ge=0, le=60)] = 2
    streams_per_address: Annotated[int | None, Field(ge=1)] = Field(
        None, description="Streaming connections one address may hold open (default 20)"
    )
    #: Memory for WebFinger, actor, NodeInfo and public post documents kept as bytes
    #: (federation/document_cache.py); 0 turns the cache off.
    document_cache_mb: Annotated[int, Field(ge=0, le=4096)] = 32
    #: Rendered posts and profiles kept per kind (entities, HTML) in each process; 0: off.
    render_cache_entries: Annotated[int, Field(ge=0, le=1_000_000)] = 2000
    instance_name: str = "Porch"
    contact_email: str = Field("", description="Where people reach the admins (shown to apps)")
    authorized_fetch: bool = Field(
        False, description="Require signed requests to read ActivityPub objects and collections"
    )
    federation_ca_file: Path | None = Field(
        None, description="Extra CA certificates federation trusts (a lab's private CA)"
    )
    federation_allow_private: str = Field(
        "", description="Hosts federation may reach on private addresses (comma-separated; labs)"
    )
    #: Mail (server/mail.py): without a host Porch sends none, and links are printed by
    #: `porch user reset-password` instead.
    smtp_host: str = Field("", description="SMTP server for Porch's mail; empty sends none")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = Field("", description="The From address; default porch@ the domain")
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"

    @field_validator("domain")
    @classmethod
    def _domain_is_a_host(cls, value: str) -> str:
        value = value.strip().lower()
        if not value or "/" in value or " " in value:
            raise ValueError("must be a host name such as porch.example (no scheme, no path)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if not value:
            return value
        if value.startswith(("postgres://", "postgresql://")):
            # Accept the URL people copy from their provider; Porch talks asyncpg.
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return value
        if value.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        raise ValueError("must start with postgresql:// or sqlite:///")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis:// or rediss://")
        return value

    @field_validator("federation_ca_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _fill_derived(self) -> Settings:
        if self.https is None:
            host = self.domain.split(":")[0]
            local = host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost")
            object.__setattr__(self, "https", not local)
        if not self.database_url:
            url = f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'porch.db'}"
            object.__setattr__(self, "database_url", url)
        return self

    @property
    def base_url(self) -> str:
        return f"{'https' if self.https else 'http'}://{self.domain}"

    def federation_ssl_context(self) -> ssl.SSLContext | bool:
        """TLS verification for outgoing federation: the system CAs, plus a lab CA if set."""
        if self.federation_ca_file is None:
            return True
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=str(self.federation_ca_file))
        return context

    @property
    def mail_from(self) -> str:
        """The address Porch's mail comes from."""
        return self.smtp_from or f"porch@{self.domain.split(':')[0]}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


def _ensure_secret(settings: Settings) -> Settings:
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise SettingsError("PORCH_SECRET_KEY: must be at least 32 characters")
        return settings
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return settings.model_copy(update={"secret_key": path.read_text().strip()})


def read_settings(**overrides: Any) -> Settings:
    """Read the settings, touching nothing on disk (commands that must not create the
    data directory look at it first).

    Raises SettingsError with one line naming the bad setting.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PORCH_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, create the data directory and the secret key if needed.

    Raises SettingsError with one line naming the bad setting.
    """
    settings = read_settings(**overrides)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.media_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"PORCH_DATA_DIR: cannot create {settings.data_dir}: {exc}") from None
    if not os.access(settings.data_dir, os.W_OK):
        raise SettingsError(f"PORCH_DATA_DIR: {settings.data_dir} is not writable")
    return _ensure_secret(settings)
