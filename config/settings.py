"""The one Settings object, read from ISOCYCLE_* environment variables at the edge."""

from __future__ import annotations

import difflib
import functools
import ipaddress
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CALENDAR = CONFIG_DIR / "calendars" / "default.toml"
DEFAULT_REMINDER_POLICY = CONFIG_DIR / "reminder_policy.toml"
DEFAULT_ISO_RULES = CONFIG_DIR / "iso_rules.toml"
# The scoring schemes (bộ tiêu chí chấm điểm, e.g. QĐ 3396/QĐ-UBND): one .toml per decision.
DEFAULT_SCORING_DIR = CONFIG_DIR / "scoring"
PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", ""}
ENV_PREFIX = "ISOCYCLE_"
# ISOCYCLE_* variables that are read directly rather than as settings: the actor of CLI changes,
# and the test suite's database, backend and screenshot directory (see tests/conftest.py).
OTHER_VARIABLES = frozenset(
    {
        "ISOCYCLE_ACTOR",
        "ISOCYCLE_TEST_DATABASE_URL",
        "ISOCYCLE_TEST_BACKEND",
        "ISOCYCLE_SCREENSHOTS",
    }
)
log = logging.getLogger("isocycle.settings")
# The checked-in default: public, so it signs nothing a stranger could not forge.
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
# A session or link key shorter than this (in UTF-8 bytes) is refused outside --dev.
MIN_SECRET_BYTES = 32


def weak_secret(key: str) -> str | None:
    """Why a signing key is unfit to protect anything (public default, placeholder or short), in
    Vietnamese, or None for a key fit to use."""
    if key in PLACEHOLDER_SECRETS or key.startswith("dev-only"):
        return "là khoá mặc định công khai hoặc khoá giữ chỗ, ai cũng biết"
    if len(key.encode()) < MIN_SECRET_BYTES:
        return f"chỉ dài {len(key.encode())} byte, dưới mức tối thiểu {MIN_SECRET_BYTES} byte"
    return None


class Settings(BaseSettings):
    """Everything the service can be told from outside; constructed once per process."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    environment: str = "development"
    database_url: str = "sqlite:///isocycle.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    # The đơn vị chủ trì (normally Sở KH&CN): it gets the weekly digest and sees every agency.
    overseer_code: str = "SKHCN"
    calendar_file: Path = DEFAULT_CALENDAR
    reminder_policy_file: Path = DEFAULT_REMINDER_POLICY
    iso_rules_file: Path = DEFAULT_ISO_RULES
    # A directory of scoring schemes (or one scheme file); a year uses the latest year_from.
    scoring_dir: Path = DEFAULT_SCORING_DIR

    base_url: str = "http://127.0.0.1:8000"
    # Seconds a web request waits for a database lock held by a job (one chunk of a long write)
    # before it answers 503 "try again"; the CLI and jobs wait 30 s on SQLite.
    web_busy_timeout: float = 5.0
    # `isocycle init` writes a random one into .env; the default is public (see weak_secret).
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
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
    # The largest report file (.pdf or .docx) an agency may send, in bytes; stored in the database.
    report_file_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    support_contact: str = "Sở Khoa học và Công nghệ (Phòng Tiêu chuẩn Đo lường Chất lượng)"
    # The province's name as its documents' date line writes it ("Hà Tĩnh, ngày 05 tháng 02 …").
    province_name: str = "Hà Tĩnh"
    # A folder of the province's own Word templates: a file there named like a default template
    # (agency_report.docx, …) replaces it; see docs/documents.md. None: the defaults only.
    report_template_dir: Path | None = None

    @model_validator(mode="after")
    def _enforce_real_secrets(self) -> Settings:
        """Refuse a public, placeholder or short secret key anywhere but development."""
        if self.environment != "development" and weak_secret(self.secret_key.get_secret_value()):
            raise ValueError(
                "ISOCYCLE_SECRET_KEY phải là một giá trị ngẫu nhiên dài ít nhất "
                f"{MIN_SECRET_BYTES} byte khi ISOCYCLE_ENVIRONMENT không phải development; lệnh "
                "`isocycle init` tạo sẵn một khoá như vậy"
            )
        for proxy in self.trusted_proxy_list:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"ISOCYCLE_TRUSTED_PROXIES: «{proxy}» không phải địa chỉ IP hay dải mạng "
                    "(ví dụ 127.0.0.1 hoặc 10.0.0.0/24)"
                ) from None
        if self.smtp_security not in {"none", "starttls", "ssl"}:
            raise ValueError("ISOCYCLE_SMTP_SECURITY phải là none, starttls hoặc ssl")
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


def unknown_variables(environ: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """The ISOCYCLE_* names in `environ` that nothing reads, each with the closest real name.

    Settings ignores them (extra="ignore"), so a misspelt ISOCYCLE_OUTBOX_DIR would otherwise
    leave the default in force without a word.
    """
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | OTHER_VARIABLES
    unknown = sorted(
        n for n in environ if n.upper().startswith(ENV_PREFIX) and n.upper() not in known
    )
    # Compared without the prefix, which every name shares and which would make any two alike.
    stems = {name.removeprefix(ENV_PREFIX): name for name in known}
    return [
        (n, next((stems[m] for m in difflib.get_close_matches(_stem(n), stems, n=1)), None))
        for n in unknown
    ]


def _stem(name: str) -> str:
    return name.upper().removeprefix(ENV_PREFIX)


def report_unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """Log a warning for each unknown ISOCYCLE_* variable (see unknown_variables); return them."""
    if environ is None:
        from dotenv import dotenv_values

        # Settings reads .env as well (env_file): a misspelt name there is just as silent.
        environ = {k: v or "" for k, v in dotenv_values(".env").items()} | dict(os.environ)
    messages = []
    for name, closest in unknown_variables(environ):
        hint = f"; có phải ý bạn là {closest}?" if closest else ""
        messages.append(
            f"Biến môi trường {name} không phải thiết lập của isocycle nên bị bỏ qua{hint}"
        )
    for message in messages:
        log.warning("%s", message)
    return messages


@functools.lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once; unknown ISOCYCLE_*
    variables are reported then."""
    settings = Settings()
    report_unknown_variables()
    return settings
