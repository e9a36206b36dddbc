"""``idinn app``: serve the Streamlit app on this machine (localhost only)."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

from . import SCRIPT

__all__ = ["main", "streamlit_command"]


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def streamlit_command(port: int, address: str = "127.0.0.1", browser: bool = False) -> list[str]:
    """The ``python -m streamlit run`` command line that serves the app."""
    return [
        sys.executable, "-m", "streamlit", "run", str(SCRIPT),
        "--server.port", str(port),
        "--server.address", address,
        "--server.headless", "false" if browser else "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]


def main(argv: list[str] | None = None) -> int:
    """Serve the app until interrupted; returns the exit status."""
    parser = argparse.ArgumentParser(prog="idinn app", description="Serve the idinn web app on localhost.")
    parser.add_argument("--port", type=int, default=8501, help="TCP port (default 8501; 0 picks a free one)")
    parser.add_argument("--browser", action="store_true", help="open a browser tab")
    parser.add_argument("--dry-run", action="store_true", help="print the command and exit")
    args = parser.parse_args(argv)
    if args.port < 0 or args.port > 65535:
        print(f"idinn app: --port must be in 0..65535. Got {args.port} instead.", file=sys.stderr)
        return 2
    try:
        import streamlit  # noqa: F401
    except ImportError:
        print('idinn app: Streamlit is not installed; run: pip install "idinn[app]"', file=sys.stderr)
        return 2
    port = args.port or free_port()
    cmd = streamlit_command(port, browser=args.browser)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    print(f"idinn app: serving on http://127.0.0.1:{port} (Ctrl-C to stop)")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
