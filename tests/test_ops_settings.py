"""Unknown ISOCYCLE_* variables are reported when a command starts, with the closest real name,
instead of being ignored without a word (ISOCYCLE_OUTBOX_DIR is not ISOCYCLE_MAIL_OUTBOX_DIR)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ISOCYCLE = Path(sys.executable).with_name("isocycle")


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("ISOCYCLE_")}
    db = f"sqlite:///{tmp_path / 'env.db'}"
    return subprocess.run(
        [ISOCYCLE, "--db", db, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=clean | env,
        timeout=120,
    )


def test_a_misspelt_variable_is_reported_with_the_real_name(tmp_path: Path):
    result = _run(tmp_path, "init", ISOCYCLE_OUTBOX_DIR=str(tmp_path / "mail"))
    assert result.returncode == 0, result.stderr
    assert "ISOCYCLE_OUTBOX_DIR" in result.stderr
    assert "có phải ý bạn là ISOCYCLE_MAIL_OUTBOX_DIR?" in result.stderr


def test_a_misspelt_name_in_the_env_file_is_reported_too(tmp_path: Path):
    (tmp_path / ".env").write_text("ISOCYCLE_SECRET_KYE=abc\n", encoding="utf-8")
    result = _run(tmp_path, "init")
    assert "ISOCYCLE_SECRET_KYE" in result.stderr and "ISOCYCLE_SECRET_KEY?" in result.stderr


def test_real_settings_and_the_test_suites_variables_are_not_reported(tmp_path: Path):
    result = _run(
        tmp_path,
        "init",
        ISOCYCLE_MAIL_OUTBOX_DIR=str(tmp_path / "mail"),
        ISOCYCLE_ACTOR="test",
        ISOCYCLE_TEST_BACKEND="sqlite",
        ISOCYCLE_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
        ISOCYCLE_SCREENSHOTS=str(tmp_path),
    )
    assert result.returncode == 0 and "ISOCYCLE" not in result.stderr


def test_unknown_variables_suggest_only_a_close_name():
    from config.settings import unknown_variables

    found = dict(
        unknown_variables(
            {
                "ISOCYCLE_OUTBOX_DIR": "x",
                "ISOCYCLE_FOO": "1",
                "isocycle_smtp_hots": "h",
                "PATH": "/",
            }
        )
    )
    assert found == {
        "ISOCYCLE_OUTBOX_DIR": "ISOCYCLE_MAIL_OUTBOX_DIR",
        "ISOCYCLE_FOO": None,
        "isocycle_smtp_hots": "ISOCYCLE_SMTP_HOST",
    }


def test_a_refused_setting_is_named_in_vietnamese_with_its_value_but_never_a_secret(
    tmp_path: Path,
):
    """Found in review: pydantic's English message, without the variable's name."""
    port = _run(tmp_path, "status", "2026", ISOCYCLE_SMTP_PORT="hai-lăm")
    assert port.returncode == 1
    assert "biến ISOCYCLE_SMTP_PORT có giá trị «hai-lăm» không hợp lệ" in port.stderr
    assert "Traceback" not in port.stderr
    lease = _run(tmp_path, "status", "2026", ISOCYCLE_SCHEDULER_LEASE_SECONDS="1")
    assert "biến ISOCYCLE_SCHEDULER_LEASE_SECONDS có giá trị «1» không hợp lệ" in lease.stderr
    key = _run(
        tmp_path, "status", "2026", ISOCYCLE_ENVIRONMENT="production", ISOCYCLE_SECRET_KEY="x"
    )
    assert key.returncode == 1
    assert "ISOCYCLE_SECRET_KEY phải là một giá trị ngẫu nhiên dài ít nhất 32 byte" in key.stderr
    assert "«x»" not in key.stderr
    proxies = _run(tmp_path, "status", "2026", ISOCYCLE_TRUSTED_PROXIES="nginx")
    assert "«nginx» không phải địa chỉ IP hay dải mạng" in proxies.stderr
