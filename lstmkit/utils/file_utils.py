"""`get_file` (Keras's `keras.utils.get_file`): a file from a URL, kept in Keras's cache folder.

The cache is Keras's, so files Keras downloaded are reused and the other way round:
`$KERAS_HOME/<cache_subdir>/` when `KERAS_HOME` is set, else `~/.keras/<cache_subdir>/`, and
`/tmp/.keras/<cache_subdir>/` when that folder cannot be created or written.

Only the standard library is imported, so importing this module costs nothing.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings

from lstmkit.utils import _archives
from lstmkit.utils._archives import extract_archive

__all__ = ["DownloadError", "extract_archive", "get_file", "hash_file", "validate_file"]

# Seconds a stalled connection may stay silent before the download fails (urllib waits forever).
_TIMEOUT = 60
_CHUNK = 1 << 16


class DownloadError(Exception):
    """A file could not be downloaded (no network, an HTTP error, ...).

    A subclass of `Exception`, which is what Keras raises here, so `except Exception` code written
    for Keras keeps working. `path` is where the file can be put by hand instead.
    """

    def __init__(self, message, *, origin=None, path=None):
        super().__init__(message)
        self.origin = origin
        self.path = path


def _keras_home():
    """Keras's base folder, read at call time: `$KERAS_HOME`, else `~/.keras` (`/tmp/.keras` if `~` is read-only)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def _writable_dir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The file's sha256 (or md5) hash as a hex string; `algorithm` may also be a hashlib object."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's hash equals `file_hash` ('auto': sha256 for a 64-character hash, else md5)."""
    return str(hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)) == str(file_hash)


def _check_arguments(origin, hash_algorithm, archive_format):
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: hash_algorithm={hash_algorithm!r}")
    _archives._formats(archive_format)  # raises on an unknown format, before anything is downloaded


def _file_name(fname, origin):
    if fname is not None:
        fname = os.fspath(fname)
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                             "Please specify the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError("Paths are no longer accepted as the `fname` argument. To specify the file's parent "
                         f"directory, use the `cache_dir` argument. Received: fname={fname}")
    return fname


def _targets(datadir, fname, provided, extracting):
    """(where the download goes, the extraction folder or None), with Keras's names."""
    if not extracting:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        # 'data.tar.gz' -> kept as 'data.tar.gz', extracted into 'data_extracted'.
        return os.path.join(datadir, fname), os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
    # 'cifar-10-batches-py-target' (or a name taken from the URL) -> '<name>_archive', extracted into '<name>'.
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


class _Progress:
    """Bytes received so far, on one line, while stdout is a terminal."""

    def __init__(self, total):
        self.total, self.done, self.show = total, 0, sys.stdout.isatty()

    def update(self, n):
        self.done += n
        if self.show:
            of = f"/{self.total}" if self.total else ""
            sys.stdout.write(f"\r{self.done}{of} bytes")
            sys.stdout.flush()

    def close(self):
        if self.show:
            sys.stdout.write("\n")


def _download(origin, target, fname, file_hash, hash_algorithm):
    """Streams `origin` into a temporary file beside `target`, checks the hash, then renames it into place."""
    print(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    fd, partial = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".partial", dir=folder)
    hasher = _hasher(hash_algorithm, file_hash) if file_hash is not None else None
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(origin, timeout=_TIMEOUT)
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", None) or e
                if isinstance(e, urllib.error.HTTPError):
                    reason = f"HTTP {e.code} {e.msg}"
                there = " (the file there now does not have the expected hash)" if os.path.exists(target) else ""
                raise DownloadError(
                    f"Could not download '{fname}' from {origin} ({reason}). Without network access, put the file "
                    f"at {target} by hand{there}.", origin=origin, path=target) from None
            with response:
                progress = _Progress(int(response.headers.get("Content-Length") or 0) or None)
                try:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        if hasher is not None:
                            hasher.update(chunk)
                        progress.update(len(chunk))
                except OSError as e:
                    raise DownloadError(f"The download of '{fname}' from {origin} broke off ({e}). Call again, or "
                                        f"put the file at {target} by hand.", origin=origin, path=target) from None
                finally:
                    progress.close()
        if hasher is not None and hasher.hexdigest() != str(file_hash):
            raise ValueError(
                f"Incomplete or corrupted file detected: '{fname}' downloaded from {origin} has the "
                f"{hasher.name} hash {hasher.hexdigest()}, not the expected {file_hash}. Nothing was kept.")
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Downloads a file from a URL unless it is already in the cache, and returns its path.

    The file goes to `<cache_dir>/<cache_subdir>/<fname>` (`cache_dir` defaults to `$KERAS_HOME` or
    `~/.keras`; an absolute `cache_subdir` is used as it is). With a `file_hash` (sha256, or md5 for
    a 32-character one) a cached file that does not match is downloaded again, and a download that
    does not match is a `ValueError`. A download goes to a temporary name and is renamed when
    complete, so a failed one leaves nothing behind; without network access a `DownloadError`
    names the URL and the path where the file can be put by hand.

    With `extract=True` (or `untar=True`, which means tar) the archive is kept as Keras names it
    (`<fname>_archive`, or `fname` itself when it has a dot) and extracted, refusing members that
    would land outside the folder; the extraction folder's path is returned. It is extracted again
    when the archive was downloaded or is newer than the folder.
    """
    _check_arguments(origin, hash_algorithm, archive_format)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else _keras_home())
    if not _writable_dir(base):
        base = os.path.join("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, os.fspath(cache_subdir))
    os.makedirs(datadir, exist_ok=True)

    provided = fname is not None and bool(os.fspath(fname))
    fname = _file_name(fname, origin)
    extracting = bool(extract or untar)
    target, extraction_dir = _targets(datadir, fname, provided, extracting)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because the {hash_algorithm} file "
              f"hash does not match the original value of {file_hash} so we will re-download the data.")
        download = True
    if download:
        _download(origin, target, fname, file_hash, hash_algorithm)

    if not extracting:
        return target
    if download or not os.path.isdir(extraction_dir) or os.path.getmtime(target) > os.path.getmtime(extraction_dir):
        kinds = "tar" if untar else archive_format
        if extract_archive(target, extraction_dir, kinds):
            os.utime(extraction_dir)  # the folder is now newer than its archive, whatever mtimes the archive held
        else:
            warnings.warn(f"Could not extract archive '{target}': it is not a {kinds} archive.", stacklevel=2)
    return extraction_dir

