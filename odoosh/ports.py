"""Loopback ports for the servers the sandbox starts."""

import errno
import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the caller binds it soon; a race is reported by the server)."""
    with socket.socket(_family(host)) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    """Whether a listener holds the port.

    Binds with SO_REUSEADDR, as servers do, so connections of a just-stopped server lingering in
    TIME_WAIT do not count as busy. Errors other than EADDRINUSE are the server's to report.
    """
    with socket.socket(_family(host)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
        return False


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
