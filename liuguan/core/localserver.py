"""A gunicorn of this project on 127.0.0.1, for benchmarks, fault runs and tests that need a real server."""

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings


class ServerNotUp(RuntimeError):
    """The server ended, or did not answer /healthz in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(*, port: int, env: dict, workers: int = 1, log: Path | None = None, extra=()) -> subprocess.Popen:
    """Gunicorn serving liuguan.wsgi on 127.0.0.1:`port`; its output to `log` (appended) when given."""
    command = [str(Path(sys.executable).with_name("gunicorn")), "liuguan.wsgi", "-b", f"127.0.0.1:{port}",
               "-w", str(workers), "--timeout", "30", *extra]  # fmt: skip
    if log is None:
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603 (our own gunicorn)
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=out)  # noqa: S603


def wait_until_up(process: subprocess.Popen, port: int, *, timeout: float = 120, log: Path | None = None) -> None:
    """Until /healthz answers 200; ServerNotUp (with the log's tail) if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerNotUp("the server ended before answering" + _tail(log))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise ServerNotUp(f"the server did not answer /healthz within {timeout:.0f} s" + _tail(log))


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text(errors='replace')[-2000:]}" if log is not None and log.exists() else ""


def stop_process(process: subprocess.Popen | None, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
