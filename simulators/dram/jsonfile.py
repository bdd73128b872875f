"""Reading DRAMSys's JSON configuration files with errors that name the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..textfile import decode_error


def read_json(path: str | Path, kind: str, error: type[Exception]) -> Any:
    """The parsed JSON of ``path``; a missing file or bad JSON raises ``error`` naming the file (and line)."""
    p = Path(path)
    try:
        return json.loads(p.read_text())
    except FileNotFoundError:
        raise error(f"{p}: {kind} file not found") from None
    except UnicodeDecodeError as e:
        raise error(f"{p}: {decode_error(e)}") from None
    except json.JSONDecodeError as e:
        raise error(f"{p}: not valid JSON (line {e.lineno}: {e.msg})") from None
