"""lstmkit.utils.get_file: Keras's cache layout and arguments, hashes, atomic downloads, safe extraction.

There is no network here: downloads come from file:// URLs and from an http.server on 127.0.0.1
that the test starts; "no network" is a closed port on 127.0.0.1. Keras's own get_file tests
(keras/src/utils/file_utils_test.py) are ported where they apply, and Keras's get_file is the
oracle for where files go.
"""

import functools
import http.server
import io
import os
import socket
import tarfile
import threading
import urllib.parse
import urllib.request
import zipfile

import pytest

from lstmkit import utils
from lstmkit.utils import file_utils
from lstmkit.utils.file_utils import DownloadError, extract_archive, get_file, hash_file, validate_file

TEXT = "Float like a butterfly, sting like a bee."


def _url(path):
    return urllib.parse.urljoin("file://", urllib.request.pathname2url(os.path.abspath(path)))


def _write(path, text=TEXT):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def _tar(directory, name="test.tar.gz", members=None):
    path = os.path.join(directory, name)
    with tarfile.open(path, "w:gz") as tar:
        for arcname, data in (members or {"test.txt": TEXT.encode()}).items():
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _zip(directory, name="test.zip", members=None):
    path = os.path.join(directory, name)
    with zipfile.ZipFile(path, "w") as z:
        for arcname, data in (members or {"test.txt": TEXT}).items():
            z.writestr(arcname, data)
    return path


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def _leftovers(folder):
    return [n for n in os.listdir(folder) if n.endswith(".partial")]


# --- Keras's GetFileTest, ported ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["tar", "zip", None])
def test_extraction_and_validation(tmp_path, kind):
    orig = tmp_path / "orig"
    orig.mkdir()
    src = {"tar": _tar, "zip": _zip}[kind](orig) if kind else _write(orig / "test.txt")
    md5 = hash_file(src, algorithm="md5")
    dest = str(tmp_path / "dest")
    path = get_file("test", _url(src), md5_hash=md5, extract=bool(kind), cache_subdir=dest)
    fpath = f"{path}_archive" if kind else path
    assert os.path.exists(path)
    assert validate_file(fpath, md5)
    if kind:
        with open(os.path.join(path, "test.txt")) as f:
            assert f.read() == TEXT


def test_get_file_with_tgz_extension(tmp_path):
    src = _tar(tmp_path)
    path = get_file("test.txt.tar.gz", _url(src), untar=True, cache_subdir=str(tmp_path))
    assert path == os.path.join(str(tmp_path), "test_extracted")
    assert os.path.exists(os.path.join(path, "test.txt"))


def test_get_file_with_integrity_check(tmp_path):
    src = _write(tmp_path / "test.txt")
    path = get_file("test.txt", _url(src), file_hash=hash_file(src), cache_dir=str(tmp_path / "cache"))
    assert os.path.exists(path)


def test_cache_invalidation(tmp_path):
    cache = str(tmp_path / "cache")
    src = _write(tmp_path / "test.txt")
    orig_hash = hash_file(src)
    dest = get_file("test.txt", _url(src), file_hash=orig_hash, cache_dir=cache)
    assert hash_file(dest) == orig_hash
    _write(src, "Float like a zeppelin, sting like a jellyfish.")
    new_hash = hash_file(src)
    assert hash_file(get_file("test.txt", _url(src), cache_dir=cache)) == orig_hash   # no hash: the cached file
    assert hash_file(get_file("test.txt", _url(src), file_hash=new_hash, cache_dir=cache)) == new_hash


def test_force_download(tmp_path):
    cache = str(tmp_path / "cache")
    src = _write(tmp_path / "test.txt")
    orig_hash = hash_file(src)
    assert hash_file(get_file("test.txt", _url(src), cache_dir=cache)) == orig_hash
    _write(src, "Float like a zeppelin, sting like a jellyfish.")
    assert hash_file(get_file("test.txt", _url(src), cache_dir=cache)) == orig_hash
    assert hash_file(get_file("test.txt", _url(src), force_download=True, cache_dir=cache)) == hash_file(src)


def test_get_file_with_failed_integrity_check(tmp_path):
    src = _write(tmp_path / "test.txt")
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match=r"Incomplete or corrupted file.*'test.txt'"):
        get_file("test.txt", _url(src), file_hash="0" * 64, cache_dir=str(cache))
    # Nothing is kept: neither the mismatching file nor a partial one.
    assert os.listdir(cache / "datasets") == []


# --- Keras's hash tests, ported ----------------------------------------------------------------

def test_hash_file_and_validate_file(tmp_path):
    path = str(tmp_path / "f.txt")
    with open(path, "wb") as f:
        f.write(b"Hello, World!")
    sha = "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f"
    md5 = "65a8e27d8879283831b664bd8b7f0ad4"
    assert hash_file(path) == sha and hash_file(path, "md5") == md5
    assert validate_file(path, sha, "sha256") and validate_file(path, md5, "md5")
    assert validate_file(path, sha) and validate_file(path, md5)   # 'auto' picks by the hash's length
    assert not validate_file(path, "0" * 64)


# --- the cache: Keras's layout, Keras's paths --------------------------------------------------

@pytest.mark.parametrize("kwargs", [
    {"fname": "plain.txt"},
    {"fname": None},
    {"fname": "cifar-10-batches-py-target", "extract": True},
    {"fname": "data.tar.gz", "extract": True},
    {"fname": None, "extract": True},
    {"fname": "sub", "cache_subdir": "models", "untar": True},
])
def test_paths_are_kerass(tmp_path, kwargs):
    import keras

    src = _tar(tmp_path, "archive.tar.gz")
    (tmp_path / "keras").mkdir()   # Keras falls back to /tmp/.keras when cache_dir does not exist yet
    ours = get_file(origin=_url(src), cache_dir=str(tmp_path / "ours"), **kwargs)
    theirs = keras.utils.get_file(origin=_url(src), cache_dir=str(tmp_path / "keras"), **kwargs)
    assert os.path.relpath(ours, tmp_path / "ours") == os.path.relpath(theirs, tmp_path / "keras")
    ours_files = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "ours")
                        for d, _, fs in os.walk(tmp_path / "ours") for f in fs)
    keras_files = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "keras")
                         for d, _, fs in os.walk(tmp_path / "keras") for f in fs)
    assert ours_files == keras_files


def test_keras_home_and_default_cache(tmp_path, monkeypatch):
    src = _write(tmp_path / "a.txt")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert get_file("a.txt", _url(src)) == str(tmp_path / "kh" / "datasets" / "a.txt")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert get_file("a.txt", _url(src)) == str(tmp_path / "home" / ".keras" / "datasets" / "a.txt")


def test_unwritable_cache_falls_back_to_tmp(tmp_path, monkeypatch):
    src = _write(tmp_path / "a.txt")
    monkeypatch.setattr(file_utils, "_writable_dir", lambda path: False)
    sub = f"lstmkit-test-{os.getpid()}-{tmp_path.name}"
    had_tmp_keras = os.path.exists("/tmp/.keras")
    path = get_file("a.txt", _url(src), cache_dir=str(tmp_path / "ro"), cache_subdir=sub)
    try:
        assert path == os.path.join("/tmp", ".keras", sub, "a.txt")
    finally:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
        if not had_tmp_keras:
            os.rmdir("/tmp/.keras")


def test_cached_file_is_used_without_network(tmp_path):
    folder = tmp_path / "datasets"
    folder.mkdir()
    placed = _write(folder / "by_hand.npz", "placed by hand")
    origin = f"http://127.0.0.1:{_closed_port()}/by_hand.npz"
    assert get_file("by_hand.npz", origin, file_hash=hash_file(placed), cache_dir=str(tmp_path)) == placed


# --- downloads: http, errors, no network -------------------------------------------------------

def test_download_over_http(server, tmp_path):
    root, url = server
    _write(root / "data.txt")
    path = get_file("data.txt", url + "data.txt", file_hash=hash_file(root / "data.txt"), cache_dir=str(tmp_path / "c"))
    with open(path) as f:
        assert f.read() == TEXT
    assert _leftovers(os.path.dirname(path)) == []


def test_http_error_names_file_url_and_place(server, tmp_path):
    _, url = server
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        get_file("missing.npz", url + "missing.npz", cache_dir=str(tmp_path / "c"))
    assert "'missing.npz'" in str(info.value) and url + "missing.npz" in str(info.value)
    assert os.listdir(tmp_path / "c" / "datasets") == []


def test_no_network_is_one_short_error(tmp_path):
    origin = f"http://127.0.0.1:{_closed_port()}/imdb.npz"
    with pytest.raises(DownloadError) as info:
        get_file("imdb.npz", origin, cache_dir=str(tmp_path))
    where = os.path.join(str(tmp_path), "datasets", "imdb.npz")
    message = str(info.value)
    assert "'imdb.npz'" in message and origin in message and where in message
    assert info.value.path == where and info.value.origin == origin
    assert info.value.__suppress_context__      # one error, not a chain of urllib's
    assert isinstance(info.value, Exception) and len(message) < 300
    assert os.listdir(tmp_path / "datasets") == []


def test_mismatching_cached_file_is_downloaded_again(tmp_path, capsys):
    src = _write(tmp_path / "good.txt")
    folder = tmp_path / "cache" / "datasets"
    folder.mkdir(parents=True)
    _write(folder / "good.txt", "stale")
    path = get_file("good.txt", _url(src), file_hash=hash_file(src), cache_dir=str(tmp_path / "cache"))
    assert hash_file(path) == hash_file(src)
    assert "will re-download" in capsys.readouterr().out


def test_a_failed_download_leaves_no_partial_file(tmp_path, monkeypatch):
    src = _write(tmp_path / "big.txt", "x" * 200_000)
    real_urlopen = urllib.request.urlopen

    class Broken:
        def __init__(self, response):
            self.response, self.headers, self.n = response, response.headers, 0

        def read(self, size):
            self.n += 1
            if self.n == 2:
                raise ConnectionResetError("connection reset")
            return self.response.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.response.close()

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken(real_urlopen(url, timeout=timeout)))
    with pytest.raises(DownloadError, match="broke off"):
        get_file("big.txt", _url(src), cache_dir=str(tmp_path / "c"))
    assert os.listdir(tmp_path / "c" / "datasets") == []


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("a.txt")
    with pytest.raises(ValueError, match="Paths are no longer accepted as the `fname` argument"):
        get_file(os.path.join("sub", "a.txt"), "file:///nowhere", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(None, "http://127.0.0.1/", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="`hash_algorithm` must be 'auto', 'sha256' or 'md5'. Received: hash_algorithm='sha1'"):
        get_file("a.txt", "file:///nowhere", hash_algorithm="sha1", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="`archive_format` must be"):
        get_file("a.txt", "file:///nowhere", extract=True, archive_format="rar", cache_dir=str(tmp_path))


def test_exported_from_utils():
    assert utils.get_file is get_file


# --- extraction --------------------------------------------------------------------------------

def test_extract_archive_formats(tmp_path):
    tar, zp = _tar(tmp_path), _zip(tmp_path)
    assert extract_archive(tar, tmp_path / "t", "tar") and extract_archive(zp, tmp_path / "z", "zip")
    assert extract_archive(tar, tmp_path / "ta") and extract_archive(zp, tmp_path / "za")   # auto
    for d in ("t", "z", "ta", "za"):
        assert (tmp_path / d / "test.txt").read_text() == TEXT
    assert not extract_archive(tar, tmp_path / "n", None) and not extract_archive(tar, tmp_path / "n", "zip")
    with pytest.raises(FileNotFoundError):
        extract_archive(tmp_path / "nothing.tar", tmp_path / "n")


def test_not_an_archive_warns(tmp_path):
    src = _write(tmp_path / "plain.txt")
    with pytest.warns(UserWarning, match="Could not extract archive"):
        get_file("plain", _url(src), extract=True, cache_dir=str(tmp_path / "c"))


def test_extracted_once_and_again_after_a_new_download(tmp_path):
    src = _tar(tmp_path)
    cache = str(tmp_path / "c")
    path = get_file("pkg", _url(src), extract=True, cache_dir=cache)
    _write(os.path.join(path, "test.txt"), "edited")
    assert get_file("pkg", _url(src), extract=True, cache_dir=cache) == path
    assert open(os.path.join(path, "test.txt")).read() == "edited"       # not extracted again
    get_file("pkg", _url(src), extract=True, cache_dir=cache, force_download=True)
    assert open(os.path.join(path, "test.txt")).read() == TEXT
    # An archive put in place by hand after the folder was made (newer than it) is extracted again.
    _write(os.path.join(path, "test.txt"), "edited")
    later = os.path.getmtime(path) + 10
    os.utime(path + "_archive", (later, later))
    get_file("pkg", _url(src), extract=True, cache_dir=cache)
    assert open(os.path.join(path, "test.txt")).read() == TEXT


def _hostile_tar(path, kind):
    with tarfile.open(path, "w") as tar:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        if kind == "dotdot":
            info = tarfile.TarInfo("../escaped.txt")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        elif kind == "absolute":
            info = tarfile.TarInfo(str(path) + ".abs")
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        elif kind == "symlink":
            info = tarfile.TarInfo("link")
            info.type, info.linkname = tarfile.SYMTYPE, "../.."
            tar.addfile(info)
        elif kind == "hardlink":
            info = tarfile.TarInfo("hard")
            info.type, info.linkname = tarfile.LNKTYPE, "../outside.txt"
            tar.addfile(info)
        elif kind == "through_link":
            # 'a' -> '.' is harmless alone; 'a/x' -> '..' looks like it stays inside, but through 'a'
            # it is written at the top, pointing one level above.
            for name, target in (("a", "."), ("a/x", "..")):
                info = tarfile.TarInfo(name)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        elif kind == "late_link":
            # 'x' -> 'y/..' is inside while 'y' does not exist; once 'y' -> '.' is written, 'x' is the parent.
            for name, target in (("x", "y/.."), ("y", ".")):
                info = tarfile.TarInfo(name)
                info.type, info.linkname = tarfile.SYMTYPE, target
                tar.addfile(info)
        elif kind == "device":
            info = tarfile.TarInfo("dev")
            info.type = tarfile.CHRTYPE
            tar.addfile(info)


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "through_link", "late_link",
                                  "device"])
def test_hostile_tar_is_refused(tmp_path, kind):
    home = tmp_path / "home"
    archive = home / "evil.tar"
    home.mkdir()
    _write(tmp_path / "outside.txt", "secret")
    _hostile_tar(archive, kind)
    target = home / "out" / "inner"
    with pytest.raises(ValueError, match="Refusing to extract"):
        extract_archive(archive, target)
    assert not target.exists() and not (home / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert not os.path.exists(str(archive) + ".abs")
    assert [n for n in os.listdir(home / "out") if n.endswith(".partial")] == []


def test_hostile_zip_is_refused(tmp_path):
    archive = _zip(tmp_path, members={"ok.txt": "ok", "../escaped.txt": "evil"})
    with pytest.raises(ValueError, match="member '../escaped.txt' would be written outside"):
        get_file("evil", _url(archive), extract=True, cache_dir=str(tmp_path / "c"))
    assert not (tmp_path / "c" / "datasets" / "evil").exists()
    assert not (tmp_path / "c" / "escaped.txt").exists()


def test_links_inside_the_archive_are_kept(tmp_path):
    archive = tmp_path / "links.tar"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("folder/file.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
        link = tarfile.TarInfo("folder/sub/link.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "../file.txt"
        tar.addfile(link)
    assert extract_archive(archive, tmp_path / "x")
    assert (tmp_path / "x" / "folder" / "sub" / "link.txt").read_text() == "hi"
