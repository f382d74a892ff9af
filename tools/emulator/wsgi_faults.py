"""The one fault both WSGI apps of the emulator (emulator.py's AWS, dynatrace_api.py's
Dynatrace) inject that is not an HTTP answer: a connection dropped with no answer."""

from __future__ import annotations

import socket
import struct


class DropConnection(ConnectionAbortedError):
    """Raised to make werkzeug's handler give up on the connection silently."""


def drop_connection(environ: dict, what: str = "connection") -> None:
    """Resets the request's socket (SO_LINGER 0, so the client sees a reset rather than
    a clean close) and raises DropConnection, which werkzeug's handler swallows."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DropConnection(f"fault injection: {what} dropped")
