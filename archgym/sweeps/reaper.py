"""Stops the Ray processes a sweep started when the sweep's own process dies without shutting Ray down.

:func:`archgym.sweeps.run.ray_session` starts this watcher (``python -m archgym.sweeps.reaper PID``,
in its own session, so a signal to the driver's terminal group does not reach it) before it starts a
local Ray. While the driver lives, the watcher records each of the driver's descendant processes that
belongs to Ray (GCS server, raylet, its agents and workers). When the driver ends the session it closes
the watcher's stdin and the watcher exits; when the driver is killed (stdin closes with the driver
gone), the watcher terminates the recorded processes that are still running. Without it, Ray's
dashboard and runtime-env agents outlive a killed driver by about 90 s.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

try:  # in the ``ray`` extra, with Ray itself
    import psutil
except ImportError:  # pragma: no cover - without Ray there is nothing to watch
    psutil = None

POLL_SECONDS = 0.25


def _is_ray(p: psutil.Process) -> bool:
    try:
        cmd = p.cmdline()
    except psutil.Error:
        return False
    return any(part.startswith("ray::") or f"{os.sep}ray{os.sep}" in part for part in cmd[:3])


def _gone(p: psutil.Process) -> bool:
    try:
        return not p.is_running() or p.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def watch(driver_pid: int, stdin_fd: int = 0, poll: float = POLL_SECONDS) -> list[int]:
    """Watch ``driver_pid`` until ``stdin_fd`` closes; the pids terminated (none when the driver lives on)."""
    try:
        driver = psutil.Process(driver_pid)
    except psutil.NoSuchProcess:
        return []
    me = os.getpid()
    seen: dict[int, psutil.Process] = {}
    while True:
        if not _gone(driver):
            try:
                for c in driver.children(recursive=True):
                    if c.pid != me and c.pid not in seen and _is_ray(c):
                        seen[c.pid] = c
            except psutil.Error:
                pass
        readable, _, _ = select.select([stdin_fd], [], [], poll)
        if readable and not os.read(stdin_fd, 4096):
            break  # the driver closed the pipe, or died
    deadline = time.monotonic() + 2.0
    while not _gone(driver) and time.monotonic() < deadline:  # a dying driver closes its files before it is gone
        time.sleep(0.05)
    if not _gone(driver):
        return []  # the session ended normally: Ray has been shut down by the driver
    alive = [p for p in seen.values() if not _gone(p)]
    for p in alive:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs(alive, timeout=3)
    for p in still:
        try:
            p.kill()
        except psutil.Error:
            pass
    return [p.pid for p in alive]


def start() -> subprocess.Popen | None:
    """Start a watcher of this process (None without psutil); :func:`stop` it when Ray has been shut down."""
    if psutil is None:  # pragma: no cover
        return None
    return subprocess.Popen([sys.executable, "-m", "archgym.sweeps.reaper", str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(watcher: subprocess.Popen) -> None:
    """Tell the watcher the session ended normally, and wait for it."""
    try:
        watcher.stdin.close()
        watcher.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        watcher.kill()


if __name__ == "__main__":
    watch(int(sys.argv[1]))
