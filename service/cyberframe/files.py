"""Writing files so that a reader never sees half of one (POSIX rename(2) is atomic)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, make_parents: bool = False) -> None:
    """Write *data* to *path* through a synced temporary file in the same folder, then rename it into place.

    The file gets the permissions a plain ``open(path, "w")`` would give it
    (``mkstemp`` creates 0600); a failure leaves no temporary file behind.
    Missing parent folders are an error unless *make_parents* (a cache may
    create its own folder; a user's mistyped output path must not).
    """
    if make_parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
