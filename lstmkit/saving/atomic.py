"""Atomic file writes: write under a temporary name beside the target, then rename over it.

`os.replace` is atomic on POSIX and Windows when both names are in the same directory, so a reader
(or a crash, or a kill in the middle of a save) sees either the old file or the complete new one,
never a half-written file. An interrupted save can leave its temporary file ('.name.<random>.tmp')
behind; the target is untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets


@contextlib.contextmanager
def atomic_write_path(filepath):
    """Yield a temporary path in `filepath`'s directory; on success it replaces `filepath`."""
    target = os.path.abspath(os.fspath(filepath))
    directory = os.path.dirname(target)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def _fsync_file(path):
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory):
    # Makes the rename itself durable; not possible on every platform (e.g. Windows), hence best effort.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
