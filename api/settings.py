"""Settings read once from the environment; the only place that knows variable names."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}


class SettingsError(RuntimeError):
    """The configuration cannot run as given."""


PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
NODE_MODULES = PWA_DIR.parent / "node_modules"


class Settings(msgspec.Struct, kw_only=True):
    profile: str = "development"
    data_dir: Path = Path("data")
    pwa_dir: Path = PWA_DIR
    database_url: str = ""
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    allowed_hosts: list[str] = msgspec.field(default_factory=list)
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Enlace <no-reply@enlace.invalid>"
    max_request_bytes: int = 1_000_000
    max_upload_bytes: int = 20_000_000
    import_max_rows: int = 100_000
    signin_ttl_seconds: int = 600
    signin_max_per_window: int = 5
    signin_window_seconds: int = 900
    signin_code_attempts: int = 5
    session_days: int = 30
    # How long applied outbox operations are remembered to answer replays (see api.connections).
    sync_keep_days: int = 30
    # Outbox requests per minute per signed-in session (a phone sends a few); 0 turns it off.
    sync_rate_per_minute: int = 600
    # Where rate-limit counters live when several workers share them (redis://host:6379/0).
    redis_url: str = ""
    # Whether this process runs the scheduled jobs (sending queued mail, ...) in the background.
    # Off unless asked (tests build Settings directly); `load_settings` turns it on by default.
    run_jobs: bool = False
    # How long a worker's claim on a job or on a batch of mail holds: after a crash, another
    # worker takes over once it lapses.
    lease_seconds: int = 120

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def cookie_secure(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not '{value}'") from None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from environment variables (ENLACE_* plus DATABASE_URL, HOST, PORT)."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("ENLACE_DATA_DIR", "data"))
    port = _env_int(env, "PORT", 8000)
    host = env.get("HOST", "127.0.0.1")
    base_url = env.get("ENLACE_BASE_URL", f"http://{host}:{port}").rstrip("/")
    hosts = [h.strip() for h in env.get("ENLACE_ALLOWED_HOSTS", "").split(",") if h.strip()]
    settings = Settings(
        profile=env.get("ENLACE_PROFILE", "development"),
        data_dir=data_dir,
        pwa_dir=Path(env.get("ENLACE_PWA_DIR", str(PWA_DIR))),
        database_url=env.get("DATABASE_URL", ""),
        base_url=base_url,
        host=host,
        port=port,
        secret_key=env.get("ENLACE_SECRET_KEY", ""),
        allowed_hosts=hosts,
        smtp_host=env.get("ENLACE_SMTP_HOST", ""),
        smtp_port=_env_int(env, "ENLACE_SMTP_PORT", 25),
        smtp_user=env.get("ENLACE_SMTP_USER", ""),
        smtp_password=env.get("ENLACE_SMTP_PASSWORD", ""),
        smtp_starttls=_env_bool(env.get("ENLACE_SMTP_STARTTLS", "")),
        mail_from=env.get("ENLACE_MAIL_FROM", "Enlace <no-reply@enlace.invalid>"),
        max_upload_bytes=_env_int(env, "ENLACE_MAX_UPLOAD_BYTES", 20_000_000),
        import_max_rows=_env_int(env, "ENLACE_IMPORT_MAX_ROWS", 100_000),
        sync_keep_days=_env_int(env, "ENLACE_SYNC_KEEP_DAYS", 30),
        sync_rate_per_minute=_env_int(env, "ENLACE_SYNC_RATE_PER_MINUTE", 600),
        redis_url=env.get("ENLACE_REDIS_URL", ""),
        run_jobs=_env_bool(env.get("ENLACE_JOBS", "1")),
        lease_seconds=_env_int(env, "ENLACE_LEASE_SECONDS", 120),
    )
    return finalize(settings)


def finalize(settings: Settings) -> Settings:
    """Fill derived defaults and refuse unsafe production configurations."""
    if not settings.database_url:
        settings.database_url = f"sqlite+aiosqlite:///{settings.data_dir / 'enlace.db'}"
    if settings.database_url.startswith("postgresql://"):
        settings.database_url = settings.database_url.replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    if not settings.allowed_hosts:
        settings.allowed_hosts = _hosts_from_base_url(settings.base_url)
    if settings.is_production:
        if (
            settings.secret_key.strip().lower() in PLACEHOLDER_SECRETS
            or len(settings.secret_key) < 32
        ):
            raise SettingsError(
                "ENLACE_SECRET_KEY must be set to at least 32 random characters in production"
            )
        if not settings.base_url.startswith("https://"):
            raise SettingsError("ENLACE_BASE_URL must be an https:// address in production")
    elif not settings.secret_key:
        settings.secret_key = _local_secret(settings.data_dir)
    return settings


def _hosts_from_base_url(base_url: str) -> list[str]:
    """Host headers to accept: the base URL's host, with and without its port."""
    netloc = base_url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    hosts = {netloc, host}
    if host in {"127.0.0.1", "localhost", "0.0.0.0"}:  # noqa: S104 - local development names
        for name in ("127.0.0.1", "localhost"):
            hosts |= {name, f"{name}:{port}"} if port else {name}
        hosts.add("testserver.local")
    return sorted(hosts)


def _local_secret(data_dir: Path) -> str:
    """Generate the development secret once and keep it beside the data."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
