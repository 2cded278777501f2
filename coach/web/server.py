"""`coach serve`: the web app on a socket of its own, run by uvicorn in this process.

The socket is bound here, before anything else starts, so a busy port is one clear error and not a
log line from inside the server. On this computer only by default (127.0.0.1); with `lan` on every
interface, behind a pairing code. Ctrl-C (or SIGTERM) stops it: open streams get a moment to end,
sessions still playing are recorded as interrupted, and `serve()` returns normally.
"""

from __future__ import annotations

import contextlib
import errno
import secrets
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach import model as m
from coach.errors import CoachError, UsageError
from coach.session.voice import VoiceChoice

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from coach.web.app import WebState
    from coach.web.remote import Remote

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"
GRACEFUL_SHUTDOWN_S = 2


@dataclass(frozen=True)
class ServeRequest:
    port: int = DEFAULT_PORT
    lan: bool = False
    choice: VoiceChoice = VoiceChoice()
    cache_dir: Path | None = None
    config_path: Path | None = None
    history_db: Path | None = None
    personal_dir: Path | None = None      # the person's own scripts, listed in the library
    options: m.CompileOptions = m.CompileOptions()
    pairing: bool | None = None           # None: with lan (tests pair on loopback too)
    background: str | None = None         # a built-in bed or an audio file under every phone session
    background_level_db: float | None = None
    port_option: str = "--port"           # how the port is chosen, for the busy-port message


@dataclass(frozen=True)
class Address:
    url: str                    # what to open
    host: str
    port: int
    pairing_code: str = ""      # with --lan
    pair_url: str = ""          # the link in the QR code: the pairing form, the code filled in


@dataclass
class Bound:
    """A bound socket and the app to serve on it; serve() blocks until Ctrl-C or stop()."""

    address: Address
    app: Starlette
    state: WebState
    sock: socket.socket
    _server: Any = field(default=None, repr=False)

    def serve(self) -> None:
        import uvicorn

        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                lifespan="off", server_header=False, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)
        self._server = _quiet_server(config)
        try:
            self._server.run(sockets=[self.sock])
        finally:
            if self.state.phone is not None:
                self.state.phone.end_all("interrupted")
            self.sock.close()

    def stop(self) -> None:
        """Ask a server running on another thread to stop (as Ctrl-C does)."""
        if self._server is not None:
            self._server.should_exit = True


def open_server(request: ServeRequest, remote: Remote | None = None) -> Bound:
    """Bind the port, load the voice (warming up on a thread) and build the app. Raises CoachError
    for a busy port or a missing voice before anything is served. With `remote`: the remote of a
    session in this process only (no library, no voice of its own)."""
    from coach.history import default_history_path
    from coach.screening import default_config_path
    from coach.web.app import WebState, build_app
    from coach.web.phone import PhoneSessions, SessionSettings
    from coach.web.routines import RoutineIndex
    from coach.web.security import Pairing, Policy

    from coach.background.bed import background_for

    bed = background_for(request.background, request.background_level_db)   # a bad file: said before serving
    sock = bind(LOOPBACK if not request.lan else "0.0.0.0", request.port, request.port_option)
    try:
        port = sock.getsockname()[1]
        pairing = Pairing() if (request.lan if request.pairing is None else request.pairing) else None
        host = lan_address() if request.lan else LOOPBACK
        allowed = frozenset() if request.lan else frozenset({f"{LOOPBACK}:{port}", f"localhost:{port}"})
        phone = None
        if remote is None:
            voice = request.choice.get("render")
            threading.Thread(target=_warm_up, args=(voice,), name="coach-voice-warm-up", daemon=True).start()
            settings = SessionSettings(request.choice, request.cache_dir, request.config_path or default_config_path(),
                                       request.history_db or default_history_path(), request.options, bed)
            phone = PhoneSessions(settings, voice)
        state = WebState(Policy(secrets.token_urlsafe(24), pairing, allowed), RoutineIndex(request.personal_dir),
                         phone, remote)
        url = f"http://{host}:{port}/"
        address = Address(url, host, port, pairing.code if pairing else "",
                          f"{url}pair?code={pairing.code}" if pairing else "")
        return Bound(address, build_app(state), state, sock)
    except BaseException:
        sock.close()
        raise


def bind(host: str, port: int, option: str = "--port") -> socket.socket:
    if not 0 <= port <= 65535:
        raise UsageError(f"{option} {port}: use a port from 1024 to 65535")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(64)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CoachError(f"port {port} is already in use (another coach serve?); stop it, or choose "
                             f"another port with {option} N") from None
        if exc.errno == errno.EACCES:
            raise CoachError(f"port {port} needs special rights; choose a port from 1024 up with {option} N") from None
        raise CoachError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def lan_address() -> str:
    """This computer's address on the local network: its interfaces' own addresses (Linux), else what
    its name resolves to. Asked of the system only: no packet is sent."""
    for address in [*_interface_addresses(), *_name_addresses()]:
        if not address.startswith("127."):
            return address
    return LOOPBACK


def _interface_addresses() -> list[str]:
    try:
        import fcntl
        import struct

        found = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _index, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
                except OSError:
                    continue   # no IPv4 address on it
                found.append(socket.inet_ntoa(packed[20:24]))
        return found
    except (ImportError, OSError, AttributeError):
        return []


def _name_addresses() -> list[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


def qr_text(url: str) -> str:
    """The link as a QR code drawn with characters, for a terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue()


def _warm_up(voice: Any) -> None:
    with contextlib.suppress(Exception):   # the first render reports the same error where it can be shown
        voice.warm_up()


def _quiet_server(config: Any) -> Any:
    """uvicorn's server, but a Ctrl-C it handled is not raised again afterwards: stopping is normal."""
    import uvicorn

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # A phone's stream never ends by itself: cut the connections, or shutdown waits for them
            # and then cancels them with a traceback on the terminal.
            for connection in list(self.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
            # A stream whose next piece is still being mixed or synthesized (a loaded machine, a cold
            # cache) is cancelled after the grace period: expected when we cut it, so not reported as
            # an error with a traceback.
            logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
            await super().shutdown(sockets)

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            old = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in old.items():
                    signal.signal(sig, handler)

    return Server(config)
