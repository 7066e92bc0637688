"""Safe extraction of tar and zip archives for `get_file(extract=True)`.

Every member is checked before it is written: a member whose path, or whose link target, would
land outside the target folder makes the whole extraction fail with a `ValueError` naming it (Keras
skips such members with a warning; an archive that tries this is not one to half-trust), and so
does a device file or FIFO. Extraction goes into a temporary folder beside the target
that is renamed into place only when it finished, so an interrupted run never leaves a partial
folder that a later call would take for a complete one.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile


def _inside(base, path):
    """True when `path` (already resolved) is `base` or lies under it."""
    try:
        return os.path.commonpath([base, path]) == base
    except ValueError:  # different drives on Windows
        return False


def _resolved_member(base, name):
    return os.path.realpath(os.path.join(base, name))


def _refuse(archive_path, what):
    raise ValueError(f"Refusing to extract '{archive_path}': {what}.")


def _safe_tar_members(archive, base, archive_path):
    """The members, each checked just before tarfile writes it.

    A generator, so each check sees the links the members before it created on disk: a path is
    resolved through them as the operating system will resolve it.
    """
    for info in archive:
        if os.path.isabs(info.name) or not _inside(base, _resolved_member(base, info.name)):
            _refuse(archive_path, f"member '{info.name}' would be written outside the target folder")
        if info.issym():
            # A symbolic link's target is read relative to the folder that holds the link.
            where = os.path.dirname(_resolved_member(base, info.name))
            target = os.path.realpath(os.path.join(where, info.linkname))
        elif info.islnk():
            # A hard link's target is named relative to the archive's root.
            target = _resolved_member(base, info.linkname)
        else:
            target = None
        if target is not None and (os.path.isabs(info.linkname) or not _inside(base, target)):
            _refuse(archive_path, f"link '{info.name}' points outside the target folder (to '{info.linkname}')")
        if info.ischr() or info.isblk() or info.isfifo():
            _refuse(archive_path, f"member '{info.name}' is a device file or FIFO")
        yield info


def _check_links_stay_inside(base, archive_path):
    # A link checked while its target did not exist yet can point elsewhere once later members
    # made links of that target's folders; look at every link again once all is written.
    for folder, dirs, files in os.walk(base):
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path) and not _inside(base, os.path.realpath(path)):
                _refuse(archive_path, f"link '{os.path.relpath(path, base)}' points outside the target folder")


def _extract_tar(archive_path, into):
    with tarfile.open(archive_path) as archive:
        kwargs = {}
        # Python's own "data" filter (3.11.4+, 3.12+) is a second guard behind the checks here.
        if hasattr(tarfile, "data_filter"):
            kwargs["filter"] = "data"
        archive.extractall(into, members=_safe_tar_members(archive, into, archive_path), **kwargs)
    _check_links_stay_inside(into, archive_path)


def _extract_zip(archive_path, into):
    # zipfile writes no links (a stored link becomes a small file holding its target), so the
    # names are all there is to check.
    with zipfile.ZipFile(archive_path) as archive:
        for info in archive.infolist():
            name = info.filename
            if os.path.isabs(name) or name.startswith(("/", "\\")) or not _inside(into, _resolved_member(into, name)):
                _refuse(archive_path, f"member '{name}' would be written outside the target folder")
        archive.extractall(into)


_FORMATS = {"tar": (tarfile.is_tarfile, _extract_tar), "zip": (zipfile.is_zipfile, _extract_zip)}


def _formats(archive_format):
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    formats = list(archive_format)
    for name in formats:
        if name not in _FORMATS:
            raise ValueError(f"`archive_format` must be 'auto', 'tar', 'zip', None or a list of 'tar'/'zip'. "
                             f"Received: archive_format={archive_format!r}")
    return formats


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into the folder `path`.

    Returns True when the file was an archive of one of `archive_format`'s kinds and was extracted,
    False when it matched none (`archive_format=None` or `[]` matches nothing). An existing `path`
    is replaced only once the new extraction is complete.
    """
    file_path, path = os.fspath(file_path), os.fspath(path)
    for name in _formats(archive_format):
        is_match, extract = _FORMATS[name]
        if not is_match(file_path):
            continue
        target = os.path.realpath(path)
        parent = os.path.dirname(target)
        os.makedirs(parent, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.", suffix=".partial", dir=parent)
        try:
            extract(file_path, os.path.realpath(staging))
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.remove(target)
            try:
                os.replace(staging, target)
            except OSError:
                # Another process extracted the same archive into place first; keep its copy.
                if not os.path.isdir(target):
                    raise
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True
    return False
