"""A mailer that keeps what it sends, with the faults of a real one on demand.

``down`` makes every send fail as an unreachable server does (nothing taken). ``crash_next``
stops the next send like a process killed mid-send: before the server took the message, or
just after it did (the window that a derived ``Message-ID`` makes recognisable).
"""

from __future__ import annotations

import threading

from billing.domain.mail import MailMessage, MailUnavailable


class WorkerKilled(BaseException):
    """Raised instead of returning, as if the process died there: not an ``Exception``, so no
    handler records a failure (a killed process records nothing either)."""


class MemoryMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.attempts = 0
        self.down = False
        self._crash: bool | None = None  # None: no crash; else whether it is after accepting
        self._lock = threading.Lock()

    def send(self, message: MailMessage) -> None:
        with self._lock:
            self.attempts += 1
            crash, self._crash = self._crash, None
            if self.down:
                raise MailUnavailable("the mail server is down (memory mailer)")
            if crash is False:
                raise WorkerKilled("killed before the server took the message")
            self.sent.append(message)
            if crash:
                raise WorkerKilled("killed after the server took the message")

    def crash_next(self, *, after_accepting: bool) -> None:
        with self._lock:
            self._crash = after_accepting
