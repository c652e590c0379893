"""Connections that cannot be held open by a client that stops sending.

uvicorn's h11 protocol closes a kept-alive connection that stays idle between requests, but it
waits forever for the rest of a request: a client may open connections and send a request head a
byte at a time, or announce a body and never send it, and each such connection holds a slot and
(for bodies) a handler until the process ends. :class:`TimedH11Protocol` adds two deadlines:

- a request head must arrive whole within the request timeout (``hub serve --request-timeout``)
  of its first byte, or of the connection being opened; trickling bytes do not extend it. A head that times out gets
  ``408 Request Timeout``; a connection that never sent a byte is closed.
- a request body may pause for at most twice that between chunks while the server is reading it; then the connection is closed and the handler sees the client disconnect. A body
  the server itself has paused (flow control while a handler is busy) never times out.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEAD_TIMEOUT_S = 30.0

logger = logging.getLogger("uvicorn.error")


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines on request heads and on pauses inside bodies."""

    _deadline: asyncio.TimerHandle | None = None
    _waiting_for: str | None = None  # "head" or "body" while a deadline is armed

    @property
    def head_timeout(self) -> float:
        return getattr(self.config, "hubkit_request_timeout", DEFAULT_HEAD_TIMEOUT_S)

    @property
    def body_idle_timeout(self) -> float:
        return 2 * self.head_timeout

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("head", self.head_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._after_data()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._after_data()  # a pipelined next request may already be part-way in

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # ----- deadlines -----
    def _after_data(self) -> None:
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm("body", self.body_idle_timeout)  # every chunk restarts the pause allowance
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            if self._waiting_for != "head":  # part of a head: its deadline runs from the first byte
                self._arm("head", self.head_timeout)
        else:
            # The request is whole (the handler runs), or nothing is pending: between requests
            # uvicorn's keep-alive timeout applies.
            self._disarm()

    def _arm(self, waiting_for: str, seconds: float) -> None:
        self._disarm()
        self._waiting_for = waiting_for
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _expired(self) -> None:
        waiting_for = self._waiting_for
        self._deadline, self._waiting_for = None, None
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if waiting_for == "body" and state is h11.SEND_BODY:
            if self.flow.read_paused:  # the server, not the client, is the one waiting
                self._arm("body", self.body_idle_timeout)
                return
            logger.warning("Closed a connection whose request body paused for over %.1f s.", self.body_idle_timeout)
            self.transport.close()
        elif waiting_for == "head" and state is h11.IDLE:
            if self.conn.trailing_data[0]:
                logger.warning("Closed a connection whose request head took over %.1f s.", self.head_timeout)
                self._send_timeout()
            else:
                self.transport.close()

    def _send_timeout(self) -> None:
        body = b"Request Timeout: the request head did not arrive in time.\n"
        response = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"x-content-type-options: nosniff\r\nconnection: close\r\n"
                    b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        self.transport.write(response)
        self.transport.close()
