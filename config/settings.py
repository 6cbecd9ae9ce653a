"""The one Settings object, read from ISOCYCLE_* environment variables at the edge."""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CALENDAR = CONFIG_DIR / "calendars" / "default.toml"
DEFAULT_REMINDER_POLICY = CONFIG_DIR / "reminder_policy.toml"
DEFAULT_ISO_RULES = CONFIG_DIR / "iso_rules.toml"
PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", ""}


class Settings(BaseSettings):
    """Everything the service can be told from outside; constructed once per process."""

    model_config = SettingsConfigDict(env_prefix="ISOCYCLE_", env_file=".env", extra="ignore")

    environment: str = "development"
    database_url: str = "sqlite:///isocycle.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    # The đơn vị chủ trì (normally Sở KH&CN): it gets the weekly digest and sees every agency.
    overseer_code: str = "SKHCN"
    calendar_file: Path = DEFAULT_CALENDAR
    reminder_policy_file: Path = DEFAULT_REMINDER_POLICY
    iso_rules_file: Path = DEFAULT_ISO_RULES

    base_url: str = "http://127.0.0.1:8000"
    # Seconds a web request waits for a database lock held by a job (one chunk of a long write)
    # before it answers 503 "try again"; the CLI and jobs wait 30 s on SQLite.
    web_busy_timeout: float = 5.0
    secret_key: SecretStr = SecretStr("dev-only-secret-key-not-for-production")
    # The reverse proxies (addresses or networks, comma-separated, e.g. "127.0.0.1" behind a
    # local nginx) whose X-Forwarded-For and X-Forwarded-Proto are believed. Empty: none, so a
    # visitor's address is the connection's, which behind a proxy is the proxy's own.
    trusted_proxies: str = ""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: str = "none"  # none | starttls | ssl
    smtp_timeout: float = 20.0
    mail_from: str = "isocycle@localhost"
    # How long the scheduler lease lasts without renewal: when the process holding it dies, a
    # standby process takes over within this time (plus a quarter of it).
    scheduler_lease_seconds: float = Field(default=300.0, ge=2.0)
    mail_outbox_dir: Path = Path("outbox")
    support_contact: str = "Sở Khoa học và Công nghệ (Phòng Tiêu chuẩn Đo lường Chất lượng)"

    @model_validator(mode="after")
    def _enforce_real_secrets(self) -> Settings:
        """Refuse the development secret key anywhere but development."""
        if self.environment != "development" and (
            self.secret_key.get_secret_value() in PLACEHOLDER_SECRETS
            or self.secret_key.get_secret_value().startswith("dev-only")
        ):
            raise ValueError("ISOCYCLE_SECRET_KEY must be set outside development")
        for proxy in self.trusted_proxy_list:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"ISOCYCLE_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
                ) from None
        if self.smtp_security not in {"none", "starttls", "ssl"}:
            raise ValueError("ISOCYCLE_SMTP_SECURITY must be none, starttls or ssl")
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def emails_enabled(self) -> bool:
        """True when mail goes to an SMTP server rather than to .eml files."""
        return bool(self.smtp_host)


@functools.lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
