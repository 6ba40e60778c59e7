"""Settings: defaults that run, and one clear line for each bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import SettingsError, load_settings


def test_defaults_run_on_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.database_url == f"sqlite+aiosqlite:///{(tmp_path / 'd').resolve()}/porch.db"
    assert settings.redis_url == ""
    assert settings.https is False  # localhost
    assert settings.base_url == "http://localhost:8000"


def test_the_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(data_dir=tmp_path)
    second = load_settings(data_dir=tmp_path)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_a_public_domain_means_https(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, domain="porch.example")
    assert settings.base_url == "https://porch.example"


def test_a_postgres_url_is_taken_as_copied_from_a_provider(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url="postgres://u:p@db/porch")
    assert settings.database_url == "postgresql+asyncpg://u:p@db/porch"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "database_url",
            "mysql://x",
            "PORCH_DATABASE_URL: Value error, must start with postgresql://",
        ),
        (
            "pause_post_seconds",
            -1,
            "PORCH_PAUSE_POST_SECONDS: Input should be greater than or equal to 0",
        ),
        (
            "registration_mode",
            "sometimes",
            "PORCH_REGISTRATION_MODE: Input should be 'open', 'approval' or 'closed'",
        ),
        ("domain", "https://porch.example/", "PORCH_DOMAIN: Value error, must be a host name"),
        ("redis_url", "localhost:6379", "PORCH_REDIS_URL: Value error, must start with redis://"),
        ("secret_key", "short", "PORCH_SECRET_KEY: must be at least 32 characters"),
    ],
)
def test_invalid_settings_name_the_setting(
    tmp_path: Path, name: str, value: object, message: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(data_dir=tmp_path, **{name: value})
    assert str(raised.value).startswith(message)


def test_porch_refuses_to_start_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "PORCH_DATA_DIR": str(tmp_path), "PORCH_PAUSE_POST_SECONDS": "soon"}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("porch: invalid setting PORCH_PAUSE_POST_SECONDS:")


def test_every_setting_is_documented() -> None:
    """Each setting appears in .env.example and in the README's configuration table."""
    from server import ROOT
    from server.config import Settings

    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        variable = f"PORCH_{name.upper()}"
        assert variable in example, f"{variable} is missing from .env.example"
        assert f"| `{variable}` |" in readme, f"{variable} is missing from the README"
