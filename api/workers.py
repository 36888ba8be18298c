"""`groupcover serve --workers N`: N processes, each accepting connections on a listening socket
of its own.

uvicorn's supervisor binds one socket and every worker waits on it. When connections arrive
together (a proxy's pool of kept-alive connections, a burst of clients), the worker woken first
accepts all of them (uvloop accepts until none is left) and keeps them, while the others idle:
with 16 connections on 2 workers, bench.load measured one worker serving all 16 in some rounds
and 0.57x the requests/s of the rounds where they were split (bench/README.md, issue 21).

Here each worker listens on a socket of its own, bound to the same address with SO_REUSEPORT,
and the kernel spreads new connections across the sockets by a hash of their addresses.
uvicorn's supervisor is kept for what it does (health checks, restarting a worker that died,
SIGHUP's rolling restart, SIGTTIN and SIGTTOU); it is only handed a new socket for each worker
it starts. The supervisor closes its own copy once the worker is started, so a socket lives as
long as its worker: connections are never routed to a worker that has gone. The cost is that
connections waiting in a dying worker's queue, not yet accepted, are reset rather than taken
by another worker, as they are behind a load balancer when a server goes.

Only on Linux: elsewhere SO_REUSEPORT does not spread connections (on macOS and the BSDs the
last socket bound takes them all), and `serve` keeps uvicorn's one shared socket.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess

logger = logging.getLogger("uvicorn.error")


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to the address with SO_REUSEPORT, for one worker to listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class Workers(Multiprocess):
    """uvicorn's supervisor, giving each worker it starts a listening socket of its own."""

    def __init__(self, config: Config) -> None:
        self._started: list[socket.socket] = []
        self._first: socket.socket | None = None
        super().__init__(config, sockets=[])

    @property  # type: ignore[override]
    def sockets(self) -> list[socket.socket]:
        """A new socket, for the worker about to start (uvicorn reads this once for each)."""
        self._close_started()
        sock = self._first or listening_socket(self.config.host, self.config.port)
        self._first = None
        self._started.append(sock)
        return [sock]

    @sockets.setter
    def sockets(self, _given: Any) -> None:
        """Multiprocess's own (one shared socket) is not kept."""

    def run(self) -> None:
        # The first socket is bound before any worker starts: an address that cannot be bound
        # stops the server with uvicorn's message and exit status, not a traceback.
        try:
            self._first = listening_socket(self.config.host, self.config.port)
        except OSError as error:
            logger.error(
                "%s: cannot listen on %s:%d", error.strerror, self.config.host, self.config.port
            )
            sys.exit(STARTUP_FAILURE)
        logger.info(
            "Uvicorn running on http://%s:%d, %d workers each on a socket of its own",
            self.config.host,
            self.config.port,
            self.processes_num,
        )
        super().run()
        self._close_started()

    def keep_subprocess_alive(self) -> None:
        self._close_started()
        super().keep_subprocess_alive()

    def _close_started(self) -> None:
        """Close the supervisor's copies of sockets handed out: each was handed to a worker
        started right after (the spawned process holds its own descriptor of it)."""
        for sock in self._started:
            sock.close()
        self._started.clear()
