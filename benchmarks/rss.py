"""A running server seen from /proc (Linux): its workers' memory and CPU use."""

from __future__ import annotations

import os
import time
from pathlib import Path


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def worker_rss(master_pid: int) -> dict[int, float]:
    """pid → RSS in MiB of the uvicorn workers under `master_pid` (the master itself when
    it runs a single worker in-process)."""
    workers = [
        pid
        for pid in children(master_pid)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    return {pid: rss_mib(pid) for pid in (workers or [master_pid])}


def cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) used so far by the server: master and workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [master_pid, *children(master_pid)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def wait_idle(master_pid: int, *, busy_share: float = 0.05, timeout: float = 600.0) -> float:
    """Block until the server stops working (deferred work such as queued completion
    charts drawn); returns how long that took."""
    started = time.monotonic()
    quiet = 0
    last = cpu_seconds(master_pid)
    while time.monotonic() - started < timeout and quiet < 3:
        time.sleep(0.5)
        now = cpu_seconds(master_pid)
        quiet = quiet + 1 if now - last < busy_share * 0.5 else 0
        last = now
    return time.monotonic() - started - 1.5
