"""A throwaway PostgreSQL cluster for the benchmarks: the production database, on loopback.

Debian's server binaries (`/usr/lib/postgresql/<version>/bin`, newest first, or PG_BIN), a data
directory under the system temp folder, TCP on 127.0.0.1 at a free port (or the one asked for),
trust authentication for user `postgres`. Run as user `postgres` when we are root (PostgreSQL
refuses to run as root), like `.ci/run` does. Durability settings are PostgreSQL's defaults
(fsync and synchronous_commit on): a commit waits for its WAL flush, as in production.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from portal.devrun import first_free_port


def binaries() -> Path | None:
    """The newest PostgreSQL server's bin directory, or None when none is installed."""
    if os.environ.get("PG_BIN"):
        found = Path(os.environ["PG_BIN"])
        return found if (found / "initdb").exists() else None
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def free_port() -> int:
    """A free TCP port on loopback: any, or one in BENCH_PORTS ("7600-7699") when it is set,
    for machines where each user of the box keeps to a range."""
    first, _, last = os.environ.get("BENCH_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first else [0]
    port = first_free_port(candidates)
    if port is None:
        raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")
    return port


@dataclass
class Cluster:
    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal"

    def _run(self, command: list[str]) -> None:
        if os.geteuid() == 0:
            command = ["su", "postgres", "-c", shlex.join(command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, *, max_connections: int = 200) -> None:
        self._run(
            [str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-A", "trust"]
            + ["-U", "postgres", "--no-sync"]
        )
        options = (
            f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 "
            f"-c max_connections={max_connections}"
        )
        self._run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options]
            + ["-l", str(self.data_dir / "log"), "-w", "start"]
        )
        self._run(
            [str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port)]
            + ["-U", "postgres", "portal"]
        )

    def stop(self) -> None:
        try:
            self._run(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "stop"]
            )
        except subprocess.CalledProcessError:
            pass  # never started, or already gone: the directory still goes
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def cluster_start(*, port: int | None = None, max_connections: int = 200) -> Cluster:
    """Start a fresh cluster with an empty `portal` database; `Cluster.stop()` removes it."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    data_dir = Path(tempfile.mkdtemp(prefix="gett-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres", "postgres")
    cluster = Cluster(bin_dir=bin_dir, data_dir=data_dir, port=port or free_port())
    try:
        cluster.start(max_connections=max_connections)
    except BaseException:
        cluster.stop()
        raise
    # The server accepts connections once pg_ctl -w returns; a moment more for TCP on slow hosts.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", cluster.port)) == 0:
                return cluster
        time.sleep(0.1)
    cluster.stop()
    raise RuntimeError(f"PostgreSQL did not listen on port {cluster.port}")
