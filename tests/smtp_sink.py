"""A real SMTP server on localhost (aiosmtpd) that records what it receives and can misbehave."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()  # type: ignore[union-attr]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


@dataclass
class Handler:
    """Records messages; `refuse` maps an address to a RCPT reply, `data_replies` are used first.

    `delay` seconds are spent on every DATA (a slow server); `on_message(n)` is called with the
    number of messages received so far, before the client gets the reply.
    """

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    delay: float = 0.0
    on_message: Callable[[int], None] | None = None
    # TCP connections clients opened (the controller's own start-up probe is not counted).
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            time.sleep(self.delay)  # blocks the server loop: a slow server
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
            count = len(self.received)
        if self.on_message is not None:
            self.on_message(count)
        return "250 Message accepted"

    def to(self, addr: str) -> list[Received]:
        return [r for r in self.received if addr in r.rcpt_tos]


class CountingSMTP(SMTP):
    """aiosmtpd's server protocol, counting each connection on the handler."""

    def connection_made(self, transport: Any) -> None:
        with self.event_handler.lock:
            self.event_handler.connections += 1
        super().connection_made(transport)


class CountingController(Controller):
    def factory(self) -> SMTP:
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """A controllable aiosmtpd server: start, stop (to simulate an outage), start again."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    def start(self) -> Sink:
        self.controller = CountingController(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        # start() returns once its own probe connection got the greeting: do not count it.
        with self.handler.lock:
            self.handler.connections = 0
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink().start()
    yield server
    server.stop()
