"""One writer per output directory: a lock file holding the owner's pid, host and start time.

A second ``archgym run``/``collect``/``sweep`` on the same directory stops at once with a message
naming the owner, instead of writing the same rows twice. A lock left by a process that no longer
exists on this host is taken over (and said so); one from another host is never guessed at.
"""

from __future__ import annotations

import json
import os
import socket
import time
import warnings
from pathlib import Path

LOCK_FILE = ".archgym.lock"


class LockError(RuntimeError):
    """The directory is being written by another process."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class DirectoryLock:
    """``with DirectoryLock(out, "archgym run"):`` holds ``out/.archgym.lock`` for the duration."""

    def __init__(self, directory: str | os.PathLike, what: str):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.what = what
        self._held = False

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "what": self.what,
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner.get("host") == me["host"] and isinstance(owner.get("pid"), int) and not _alive(owner["pid"]):
                    warnings.warn(f"{self.path}: taking over the lock of {owner.get('what', 'a writer')} "
                                  f"(pid {owner['pid']}, no longer running)", stacklevel=3)
                    self.path.unlink(missing_ok=True)
                    continue
                raise LockError(
                    f"{self.directory} is being written by {owner.get('what', 'another process')} (pid "
                    f"{owner.get('pid', '?')} on host {owner.get('host', '?')}, since {owner.get('started', '?')}); "
                    f"wait for it to finish, give another output directory, or delete {self.path} if that "
                    "process is gone") from None
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            self._held = True
            return
        raise LockError(f"{self.path}: could not take the lock")  # pragma: no cover - a race lost twice

    def _owner(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def release(self) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ["DirectoryLock", "LOCK_FILE", "LockError"]
