"""Atomic file writes: write under a temporary name beside the target, then rename over it.

`os.replace` is atomic on POSIX and Windows when both names are in the same directory, so a reader
(or a crash, or a kill in the middle of a save) sees either the old file or the complete new one,
never a half-written file. An interrupted save leaves its temporary file
('.name.<pid>-<random>.tmp') behind; the next save to the same path removes those whose process is
gone. A failure names the path the user gave, not the temporary one.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import secrets
import time

# Temporary files of this module: '.<target name>.<pid>-<hex>.tmp' (before: '.<target name>.<hex>.tmp').
_TMP_NAME = re.compile(r"\.(?:(?P<pid>\d+)-)?[0-9a-f]{8,12}\.tmp$")
_OLD_STYLE_AGE_S = 600  # a temporary file without a process id is left alone this long


@contextlib.contextmanager
def atomic_write_path(filepath):
    """Yield a temporary path in `filepath`'s directory; on success it replaces `filepath`.

    Under a distribution over a cluster of processes, process 0 alone writes; the others' saves return
    once its file is complete (lstmkit.distribution.files)."""
    from lstmkit.distribution import files

    with files.one_writer(filepath, _atomic_write_path) as tmp:
        yield tmp


@contextlib.contextmanager
def _atomic_write_path(filepath):
    given = os.fspath(filepath)
    target = os.path.abspath(given)
    directory = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"Cannot save to '{given}': it is a directory; give a file name "
                                              "inside it")
    try:
        if directory and not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
        remove_stale_temporaries(target)
        tmp = os.path.join(directory, f".{os.path.basename(target)}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
        _create(tmp)
    except OSError as e:
        raise _naming(e, given) from e
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(e, OSError) and given not in str(e):
            raise _naming(e, given) from e
        raise
    _fsync_dir(directory)


def _create(path):
    # Created here, so that a folder we may not write into is reported before any work is done.
    with open(path, "xb"):
        pass


def _naming(error: OSError, path) -> OSError:
    """The same kind of OSError, naming the user's path (not the temporary file)."""
    reason = error.strerror or str(error)
    if error.errno == errno.EACCES or isinstance(error, PermissionError):
        reason = f"no permission to write into '{os.path.dirname(os.path.abspath(path)) or '.'}' ({reason})"
    message = f"Cannot save to '{path}': {reason}"
    try:
        return type(error)(error.errno, message) if error.errno is not None else type(error)(message)
    except TypeError:  # an OSError subclass with another signature (h5py's)
        return OSError(error.errno, message)


def remove_stale_temporaries(target):
    """Remove the temporary files earlier saves to `target` left behind when they were killed."""
    directory, name = os.path.split(os.path.abspath(target))
    pattern = os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.tmp")
    prefix = f".{name}."
    for path in glob.glob(pattern):
        match = _TMP_NAME.fullmatch(os.path.basename(path)[len(prefix) - 1:])
        if match is None:
            continue
        pid = match.group("pid")
        if pid is not None:
            if int(pid) == os.getpid() or _alive(int(pid)):
                continue  # a save in progress (this process's other thread, or another process)
        else:
            with contextlib.suppress(OSError):
                if time.time() - os.path.getmtime(path) < _OLD_STYLE_AGE_S:
                    continue
        with contextlib.suppress(OSError):
            os.remove(path)


def _alive(pid) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # exists (another user's), or cannot tell: keep the file
    return True


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
