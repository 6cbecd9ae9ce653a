"""`isocycle serve`: the web app and the scheduler, in one process."""

from __future__ import annotations

import contextlib
import faulthandler
import io
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import engine, ensure_schema, fail, settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from config.settings import Settings
    from flows.schedules import Scheduler

log = logging.getLogger(__name__)
# Ctrl-C must stop `serve` within 5 s: a running pass gets this long to stop between e-mails.
STOP_WAIT_SECONDS = 3.0


def is_loopback(host: str) -> bool:
    """True when a bind address is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def warn_local_links(cfg: Settings) -> None:
    """Warn on stderr when the site's address in e-mails (ISOCYCLE_BASE_URL) is this machine."""
    from urllib.parse import urlsplit

    if not is_loopback(urlsplit(cfg.base_url).hostname or "localhost"):
        return
    unset = "base_url" not in cfg.model_fields_set
    typer.secho(
        f"Cảnh báo: ISOCYCLE_BASE_URL {'chưa đặt, dùng' if unset else 'là'} {cfg.base_url}, nên "
        "liên kết trong e-mail nhắc việc chỉ mở được trên chính máy này. Hãy đặt "
        "ISOCYCLE_BASE_URL là địa chỉ trang web mà thư ký ISO truy cập được, ví dụ "
        "https://iso.hatinh.gov.vn.\n"
        f"Warning: ISOCYCLE_BASE_URL {'is not set, so links use' if unset else 'is'} "
        f"{cfg.base_url}: links in e-mails open only on this machine. Set ISOCYCLE_BASE_URL to "
        "the site's address as its users reach it.",
        err=True,
        fg=typer.colors.YELLOW,
    )


def refuse_weak_secret(cfg: Settings, *, host: str, dev: bool) -> None:
    """Stop before anything starts when the signing key is public or short, unless `--dev` runs
    the site for this machine only.

    Anyone who knows the key can forge a session cookie (an admin's, say) or a one-click link;
    a reverse proxy on this machine would carry such forgeries in too, so no host is exempt.
    """
    from config.settings import weak_secret

    reason = weak_secret(cfg.secret_key.get_secret_value())
    if reason is None:
        return
    if not dev:
        fail(
            f"khoá bí mật ISOCYCLE_SECRET_KEY {reason}. Với khoá này, bất kỳ ai cũng giả được "
            "phiên đăng nhập (kể cả của quản trị) và liên kết hoàn thành một lần bấm, nên trang "
            "web không chạy. Hãy chạy `isocycle init` trong thư mục này: lệnh tạo một khoá ngẫu "
            "nhiên và ghi vào tệp .env (chỉ chủ tệp đọc được); hoặc đặt ISOCYCLE_SECRET_KEY là "
            "một chuỗi ngẫu nhiên dài từ 32 byte trở lên.\n"
            f"(refusing to serve with a public or weak secret key; run `isocycle init` to "
            "generate one into .env)"
        )
    if not is_loopback(host):
        fail(
            f"--host {host}: --dev chỉ dùng để thử trên chính máy này (127.0.0.1), không phục "
            "vụ mạng với khoá bí mật yếu. Hãy chạy `isocycle init` để tạo khoá ngẫu nhiên.\n"
            "(--dev serves this machine only)"
        )
    typer.secho(
        "Cảnh báo: chế độ phát triển (--dev) với khoá bí mật công khai hoặc yếu; không dùng cho "
        "dữ liệu thật.\nWarning: --dev runs with a public or weak secret key.",
        err=True,
        fg=typer.colors.YELLOW,
    )


def start_scheduler(eng: Engine, cfg: Settings) -> Scheduler | None:
    """Start the in-process scheduler (active now or on standby), or None in the Prefect mode."""
    from flows.schedules import Scheduler

    if os.environ.get("PREFECT_API_URL"):
        typer.echo(
            "PREFECT_API_URL được đặt: lịch nhắc việc chạy trên máy chủ Prefect (isocycle deploy "
            "và một Prefect worker), tiến trình này không chạy lịch (no in-process scheduler)."
        )
        return None
    scheduler = Scheduler(
        cfg, eng, holder=f"{socket.gethostname()}:{os.getpid()}", announce=typer.echo
    )
    scheduler.start()
    return scheduler


def stop_scheduler(scheduler: Scheduler) -> None:
    """Stop within seconds; a job still running past that is abandoned to its next run."""
    if scheduler.shutdown(wait_seconds=STOP_WAIT_SECONDS):
        return
    typer.echo(
        "Một việc theo lịch chưa dừng kịp; nó sẽ được làm tiếp ở lần chạy sau "
        "(a job was interrupted; its next run completes it)."
    )
    sys.stdout.flush()
    sys.stderr.flush()
    # Interpreter exit would join the job's worker thread and could wait minutes; every job
    # is idempotent and its claims expire, so leaving now loses nothing.
    os._exit(0)


class Stopping(threading.Event):
    """Ctrl-C and SIGTERM for the whole of `serve`, from its first line.

    uvicorn installs its own handlers only once its event loop runs; a Ctrl-C in the moments
    before (while the scheduler's start-up pass is already sending) was swallowed and the
    process ran on. Here one handler owns both signals all along and tells uvicorn to stop.
    A second Ctrl-C quits at once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.server: Any = None

    def on_signal(self, signum: int, frame: object) -> None:
        if self.is_set():
            os._exit(1)
        self.set()
        if self.server is not None:
            self.server.should_exit = True

    def serve(self, app: Any, *, host: str, port: int) -> None:
        """Run uvicorn until a signal comes (uvicorn's own signal handling is left out)."""
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        # uvicorn's own proxy handling stays off (it trusts FORWARDED_ALLOW_IPS, by default
        # 127.0.0.1): the app believes X-Forwarded-* from ISOCYCLE_TRUSTED_PROXIES only.
        self.server = Server(uvicorn.Config(app, host=host, port=port, proxy_headers=False))
        if not self.is_set():  # a signal between the check above and here
            self.server.run()


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run the reminder scheduler here (only if no other process runs it).",
        ),
    ] = True,
    web: Annotated[bool, typer.Option("--web/--no-web", help="Serve the web app and API.")] = True,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Development only: accept the public default or a short secret key, on a "
            "loopback --host.",
        ),
    ] = False,
) -> None:
    """Run the web app and the scheduler (open-cycle, send-reminders, deliver-outbox, digest)."""
    cfg = settings()
    if web:
        refuse_weak_secret(cfg, host=host, dev=dev)
    warn_local_links(cfg)
    eng = engine()
    ensure_schema(eng)
    stopping = Stopping()
    before = {
        sig: signal.signal(sig, stopping.on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    with contextlib.suppress(io.UnsupportedOperation, ValueError):  # stderr may not be a file
        # `kill -USR1 PID` prints every thread's stack to stderr: how an operator (or a test)
        # sees where a process that does not stop is stuck.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    running: Scheduler | None = None
    try:
        if scheduler and not stopping.is_set():
            running = start_scheduler(eng, cfg)
        if web and not stopping.is_set():
            from web.app import create_app, settle_heap

            app = create_app(cfg)
            settle_heap()
            typer.echo(f"Trang web (site): http://{host}:{port}/")
            stopping.serve(app, host=host, port=port)
        elif running is not None:
            stopping.wait()
    finally:
        if running is not None:
            stop_scheduler(running)
        eng.dispose()
        for sig, handler in before.items():
            signal.signal(sig, handler)
