"""Running the app: bind, serve until a signal, shut down cleanly.

SIGTERM, SIGINT (Ctrl-C) and SIGHUP stop the server gracefully: it stops accepting
connections, lets the requests in flight finish (at most `GRACEFUL_S` seconds, then they are
cancelled and their queued pairs dropped), removes its temporary images and prints
"server stopped (SIGTERM)"; the exit code is 0.
"""

from __future__ import annotations

import signal
import socket
import sys

from ..errors import InputError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
GRACEFUL_S = 30


def check_bind(host: str, api_key: str | None) -> None:
    if host not in LOCAL_HOSTS and not api_key:
        raise InputError(
            f"Binding to {host} exposes the model to the network without any password.",
            "Add --api-key KEY (clients then send 'Authorization: Bearer KEY'), or keep the default "
            "--host 127.0.0.1.")


def serve_app(app, *, host: str = "127.0.0.1", port: int = 8000, banner: str = "",
              log_level: str = "warning") -> int:
    """Serve `app` until SIGTERM / SIGINT / SIGHUP; returns 0 after a clean shutdown."""
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                         "Pick another --port (0 = any free port) or stop the program using it.") from None
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"{banner} at http://{shown}:{bound}/v1".strip(), file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=GRACEFUL_S))
    caught: list[int] = []

    def stop(signum, _frame):
        caught.append(signum)
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True
        server.should_exit = True

    # uvicorn takes SIGINT/SIGTERM while it runs and raises them again afterwards: they land here
    # (not in the CLI's "interrupted" handler); SIGHUP is ours alone.
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            try:
                previous[sig] = signal.signal(sig, stop)
            except (ValueError, OSError):     # not the main thread (embedded use)
                pass
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    how = signal.Signals(caught[0]).name if caught else "shutdown"
    print(f"server stopped ({how})", file=sys.stderr, flush=True)
    return 0
