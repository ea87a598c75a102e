"""Model files: written atomically with joblib (compressed), read back only from this project's own files."""

from __future__ import annotations

import os
from pathlib import Path


def save_artifact(obj: object, path: Path | str) -> Path:
    """Write ``obj`` to ``path`` (joblib, compressed) through a temporary file of this process, so a reader never
    sees half a file and two processes writing the same path do not share one; returns the path."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    joblib.dump(obj, tmp, compress=3)
    tmp.replace(path)
    return path


def load_artifact(path: Path | str, expected: type | None = None) -> object:
    """Read a file written by :func:`save_artifact` (a pickle: only load files this project wrote);
    ``expected``: raise TypeError when the object is not of that type."""
    import joblib

    obj = joblib.load(Path(path))
    if expected is not None and not isinstance(obj, expected):
        raise TypeError(f"{path} does not hold a {expected.__name__}")
    return obj
