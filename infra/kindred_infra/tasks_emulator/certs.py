"""The signing key's certificate over HTTP, where Google publishes its own (oauth2/v1/certs).

A thread of the emulator's process serves `{kid: PEM certificate}` at `PATH` on a loopback
port of its own; the functions fetch it as `KINDRED_GOOGLE_CERTS_URL` to check task tokens.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import threading

PATH = "/oauth2/v1/certs"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CertsServer:
    """Serves one certificates document until `stop()`; nothing happens until `start()`."""

    def __init__(self, host: str, port: int, document: dict[str, str]) -> None:
        if not is_loopback(host):
            raise ValueError(f"the certificates are served on loopback only, not on {host!r}")
        self.host, self.port = host, port
        self._body = json.dumps(document).encode()
        self._server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> int:
        """Binds and serves in a daemon thread; returns the port. Raises RuntimeError if taken."""
        try:
            self._server = http.server.ThreadingHTTPServer((self.host, self.port), self._handler())
        except OSError as error:
            where = f"{self.host}:{self.port}"
            raise RuntimeError(f"could not bind {where} for the certificates: {error}") from error
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="certs", daemon=True).start()
        self.port = self._server.server_address[1]
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        body = self._body

        class Certs(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path.split("?")[0] == PATH
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body) if found else 0))
                self.end_headers()
                if found:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # one fetch per task delivery: too many lines for the emulator's log

        return Certs
