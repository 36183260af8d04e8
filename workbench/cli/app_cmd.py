"""`workbench app [--port N] [--address A] [streamlit options…]`: start the Streamlit app.

The app is `app.py` with `pages/` and `ui/` next to it: the checkout's own, or the copy a
`pip install 'lychee-workbench[app]'` installs as the `workbench_app` package. It listens on
127.0.0.1, on 8501 or the next free port, and prints the real URL, like ./run_workbench.sh.
The app's Streamlit settings (.streamlit/config.toml: theme, upload limit, no error details)
are passed as flags, so they hold wherever the app is started from.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from pathlib import Path

from .. import config
from ..errors import InputError
from ..extras import require


def app_folder() -> Path:
    """The folder holding app.py, pages/ and ui/: the checkout, else the installed package."""
    if (config.REPO_ROOT / "app.py").is_file() and (config.REPO_ROOT / "pages").is_dir():
        return config.REPO_ROOT
    spec = importlib.util.find_spec("workbench_app")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0])
        if (folder / "app.py").is_file():
            return folder
    raise InputError("The app's files (app.py, pages/, ui/) are not installed.",
                     "Install the app: pip install 'lychee-workbench[app]' (or run ./run_workbench.sh in a checkout).")


def free_port(address: str, start: int = 8501, tries: int = 100) -> int:
    for port in range(start, start + tries):
        with socket.socket() as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
            return port
    raise InputError(f"No free port between {start} and {start + tries - 1}.",
                     "Stop another app, or give --port N.")


def streamlit_flags(folder: Path) -> list[str]:
    """`--section.key value` for every setting of the app's .streamlit/config.toml."""
    import tomllib

    path = folder / ".streamlit" / "config.toml"
    if not path.is_file():
        return []
    flags: list[str] = []
    for section, values in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for key, value in values.items():
            if (section, key) in (("server", "address"), ("server", "port"), ("server", "headless")):
                continue      # set by this command
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{key}", text]
    return flags


def command(args: argparse.Namespace, extra: list[str]) -> tuple[list[str], str]:
    """(the streamlit command line, the URL it serves)."""
    folder = app_folder()
    port = args.port if args.port is not None else free_port(args.address)
    if not 0 < port < 65536:
        raise InputError(f"--port {port} is not a port number.", "Use e.g. --port 8501.")
    cmd = [sys.executable, "-m", "streamlit", "run", str(folder / "app.py"), *streamlit_flags(folder),
           "--server.address", args.address, "--server.port", str(port), "--server.headless", "true",
           *extra]
    host = socket.getfqdn() if args.address == "0.0.0.0" else args.address
    return cmd, f"http://{host}:{port}"


def cmd_app(args: argparse.Namespace) -> int:
    require("streamlit", "the workbench app", extra="app")
    cmd, url = command(args, list(args.streamlit_args or []))
    if args.print_command:
        print(" ".join(cmd))
        return 0
    print(f"starting the workbench at {url}  (Ctrl+C to stop)", file=sys.stderr, flush=True)
    os.execv(sys.executable, cmd)
    return 0   # pragma: no cover - execv does not return


def register(sub) -> None:
    p = sub.add_parser("app", help="start the workbench app (Streamlit) on 127.0.0.1",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=None, help="port (default: 8501, or the next free one)")
    p.add_argument("--address", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; the app has no login: put an "
                        "authenticating proxy in front before using 0.0.0.0)")
    p.add_argument("--print-command", action="store_true", help="print the streamlit command and exit")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER,
                   help="further options for `streamlit run` (e.g. --server.maxUploadSize 500)")
    p.set_defaults(func=cmd_app)
