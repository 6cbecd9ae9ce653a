"""The instance's secret key: `isocycle init` writes a random one into ./.env, as Django's
startproject writes one into settings.py, and never replaces it unless asked to."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer

KEY_NAME = "ISOCYCLE_SECRET_KEY"
# Where Settings looks (config.settings: env_file=".env", relative to the working directory).
ENV_FILE = Path(".env")


def new_key() -> str:
    """A fresh key: 48 random bytes, 64 URL-safe characters."""
    return secrets.token_urlsafe(48)


def _stored_key(path: Path) -> str | None:
    from dotenv import dotenv_values

    return dotenv_values(path).get(KEY_NAME) if path.exists() else None


def _append(path: Path, key: str) -> None:
    """Add the key line to the file, creating it readable by its owner only."""
    needs_newline = (
        path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(("\n" if needs_newline else "") + f"{KEY_NAME}={key}\n")
    os.chmod(path, 0o600)  # an existing .env now holds a secret: owner only


def _replace(path: Path, key: str) -> None:
    """Swap the key line for a new one, keeping every other line as it was."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not line.lstrip().removeprefix("export ").startswith(KEY_NAME + "=")
    ]
    path.write_text("".join(kept), encoding="utf-8")
    _append(path, key)


def ensure_secret_key(*, rotate: bool = False) -> None:
    """Make sure the instance has a strong key: keep a good one, write a new one into .env when
    none is set (or when `rotate`), and say which, without ever printing the key."""
    from config.settings import get_settings, weak_secret

    path = ENV_FILE.resolve()
    from_env = os.environ.get(KEY_NAME)
    if from_env is not None:
        if rotate:
            typer.secho(
                f"Khoá bí mật được đặt bằng biến môi trường {KEY_NAME}, biến này được ưu tiên hơn "
                f"tệp .env: hãy tự đổi giá trị của biến (--new-secret-key changes .env only).",
                err=True,
                fg=typer.colors.YELLOW,
            )
        reason = weak_secret(from_env)
        if reason:
            typer.secho(
                f"Cảnh báo: khoá bí mật trong biến môi trường {KEY_NAME} {reason}; `isocycle "
                "serve` sẽ từ chối chạy. Hãy bỏ biến này để dùng khoá do `isocycle init` tạo, "
                "hoặc đặt một chuỗi ngẫu nhiên từ 32 byte trở lên.",
                err=True,
                fg=typer.colors.YELLOW,
            )
        else:
            typer.echo(f"Khoá bí mật (secret key): lấy từ biến môi trường {KEY_NAME}.")
        return
    stored = _stored_key(path)
    if stored is not None and not rotate:
        reason = weak_secret(stored)
        if reason:
            typer.secho(
                f"Cảnh báo: khoá bí mật trong {path} {reason}; `isocycle serve` sẽ từ chối chạy. "
                "Tạo khoá mới: `isocycle init --new-secret-key`.",
                err=True,
                fg=typer.colors.YELLOW,
            )
        else:
            typer.echo(f"Khoá bí mật (secret key): đã có trong {path}, giữ nguyên.")
        return
    if stored is not None:
        _replace(path, new_key())
        typer.echo(
            f"Đã thay khoá bí mật trong {path} (secret key rotated). Mọi phiên đăng nhập, liên kết "
            "một lần bấm trong e-mail đã gửi và địa chỉ lịch iCal cũ không còn dùng được; khởi "
            "động lại `isocycle serve` để dùng khoá mới."
        )
    else:
        _append(path, new_key())
        typer.echo(
            f"Đã tạo khoá bí mật ngẫu nhiên, ghi vào {path} (chỉ chủ tệp đọc được). Chạy "
            "`isocycle serve` từ thư mục này, và sao lưu tệp cùng cơ sở dữ liệu "
            "(secret key generated)."
        )
    get_settings.cache_clear()
