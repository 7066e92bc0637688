"""Checks on the files and folders a user names, made before anything is read, trained or written.

Standard library only: the command line runs these before it imports JAX, so that a wrong
path is reported in a fraction of a second.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile

__all__ = ["PathProblem", "open_regular_file", "check_regular_file", "check_output_dir", "inside"]

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class PathProblem(OSError):
    """A path that cannot be used. `reason` is one of 'missing', 'directory', 'special', 'access', 'output'."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason

    def __str__(self):
        return self.args[0]


def _special(mode):
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def open_regular_file(path):
    """`path` opened for binary reading, if it is a regular file this process may read.

    Opened without blocking and checked on the open descriptor: a named pipe with no writer, or
    a device, is refused at once instead of hanging the read, and the file cannot be swapped
    between the check and the read.
    """
    path = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise PathProblem("missing", f"{path} does not exist") from None
    except IsADirectoryError:
        raise PathProblem("directory", f"{path} is a directory") from None
    except PermissionError:
        raise PathProblem("access", f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise PathProblem("access", f"cannot open {path}: {error.strerror or error}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise PathProblem("directory", f"{path} is a directory")
        if not stat.S_ISREG(mode):
            raise PathProblem("special", f"{path} is {_special(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular_file(path) -> int:
    """The size in bytes of `path`, if it is a regular file this process may read; else `PathProblem`."""
    with open_regular_file(path) as handle:
        return os.fstat(handle.fileno()).st_size


def check_output_dir(path) -> None:
    """`PathProblem` unless files can be written in the folder `path` (made later if it is missing).

    Writes and removes a small probe file, in `path` or, when it does not exist yet, in the
    nearest folder above it that does: only trying tells a read-only file system, a folder
    without write permission, or one that only root may write, apart from one that works.
    """
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise PathProblem("output", f"{path} exists and is not a directory")
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise PathProblem("output", f"{path} cannot be made: {existing} is a file, not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".lstmkit-write-check-", dir=existing)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason = "read-only file system" if error.errno == errno.EROFS else "permission denied"
        if existing == os.path.abspath(path):
            raise PathProblem("output", f"{path} is not writable: {reason}") from None
        raise PathProblem("output", f"{path} cannot be made in {existing}: {reason}") from None
    os.close(fd)
    os.unlink(probe)


def inside(folder, relative) -> str:
    """The real path of `relative` within `folder`, symlinks resolved; `PathProblem` if it leads outside."""
    root = os.path.realpath(folder)
    if os.path.isabs(relative):
        raise PathProblem("outside", f"{relative!r} is an absolute path; a path inside {folder} was expected")
    target = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath([root, target]) != root or target == root:
        raise PathProblem("outside", f"{relative!r} leads outside {folder}")
    return target
