"""Settings: safe defaults for local use, refusals for unsafe production set-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import SettingsError, load_settings


def test_local_use_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_settings({"ENLACE_DATA_DIR": str(tmp_path)})
    second = load_settings({"ENLACE_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_sqlite_in_the_data_folder_on_port_8000(tmp_path: Path) -> None:
    settings = load_settings({"ENLACE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'enlace.db'}"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert not settings.cookie_secure


def test_host_and_port_change_the_address(tmp_path: Path) -> None:
    settings = load_settings({"ENLACE_DATA_DIR": str(tmp_path), "HOST": "0.0.0.0", "PORT": "9000"})
    assert (settings.host, settings.port) == ("0.0.0.0", 9000)


def test_a_postgresql_url_uses_asyncpg(tmp_path: Path) -> None:
    settings = load_settings(
        {"ENLACE_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://u@db/enlace"}
    )
    assert settings.database_url == "postgresql+asyncpg://u@db/enlace"


@pytest.mark.parametrize("secret", ["", "changeme", "short-secret"])
def test_production_refuses_a_missing_or_weak_secret(tmp_path: Path, secret: str) -> None:
    with pytest.raises(SettingsError, match="ENLACE_SECRET_KEY"):
        load_settings(
            {
                "ENLACE_DATA_DIR": str(tmp_path),
                "ENLACE_PROFILE": "production",
                "ENLACE_BASE_URL": "https://enlace.example.org",
                "ENLACE_SECRET_KEY": secret,
            }
        )


def test_production_needs_https_and_then_sets_secure_cookies(tmp_path: Path) -> None:
    env = {
        "ENLACE_DATA_DIR": str(tmp_path),
        "ENLACE_PROFILE": "production",
        "ENLACE_SECRET_KEY": "k" * 40,
        "ENLACE_BASE_URL": "http://enlace.example.org",
    }
    with pytest.raises(SettingsError, match="https"):
        load_settings(env)
    settings = load_settings(env | {"ENLACE_BASE_URL": "https://enlace.example.org"})
    assert settings.cookie_secure
    assert settings.allowed_hosts == ["enlace.example.org"]


def test_the_base_url_host_is_accepted_with_its_port(tmp_path: Path) -> None:
    settings = load_settings({"ENLACE_DATA_DIR": str(tmp_path), "PORT": "8123"})
    assert {"127.0.0.1:8123", "localhost:8123", "127.0.0.1"} <= set(settings.allowed_hosts)
    lan = load_settings(
        {"ENLACE_DATA_DIR": str(tmp_path), "ENLACE_BASE_URL": "http://192.168.1.20:9000"}
    )
    assert lan.allowed_hosts == ["192.168.1.20", "192.168.1.20:9000"]


def test_a_number_setting_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PORT must be a whole number, not 'eighty'"):
        load_settings({"ENLACE_DATA_DIR": str(tmp_path), "PORT": "eighty"})
