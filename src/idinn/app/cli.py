"""``idinn app``: serve the Streamlit app on this machine (localhost only)."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

from . import SCRIPT

__all__ = ["main", "serve", "streamlit_command"]


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
    child = subprocess.Popen(cmd)
    print(f"idinn app: serving on http://127.0.0.1:{port} (Streamlit process {child.pid}; Ctrl-C to stop)",
          flush=True)
    return serve(child)


def serve(child: subprocess.Popen, grace_s: float = 10.0) -> int:
    """Wait for the Streamlit ``child``; SIGTERM / SIGINT to this process are passed on to it.

    After a forwarded signal the child has ``grace_s`` seconds to stop before it is killed,
    so that stopping the wrapper (a service manager's SIGTERM, Ctrl-C) never leaves a
    server running. Returns the child's exit status (0 when it stopped on our signal).
    """
    import signal
    import threading

    forwarded: list[int] = []

    def forward(signum: int, frame: object) -> None:
        forwarded.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                code = child.wait(timeout=grace_s if forwarded else None)
                break
            except subprocess.TimeoutExpired:
                child.kill()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if forwarded and code in (0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL) else int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
