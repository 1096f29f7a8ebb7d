"""Files kept under DATA_DIR (documents, signed PDFs), written once and named by the server.

Every file is written whole or not at all: into a temporary file beside it, flushed to disk, then renamed;
a failure (a full disk) removes the temporary file, so no truncated file is left to use the last space.
An upload or a PDF that would leave less than DISK_RESERVE_MB free is refused (ENOSPC) before it is
written: the reserve keeps room for the database, so the bank's notifications and logins still record.
"""

import errno
import hashlib
import os
import shutil
import uuid

from flask import current_app


def data_dir() -> str:
    folder = current_app.config["DATA_DIR"]
    if not os.path.isabs(folder):
        folder = os.path.join(current_app.root_path, "..", folder)
    return os.path.realpath(folder)


def save_bytes(area: str, data: bytes, suffix: str = "") -> tuple[str, str]:
    """Store bytes under DATA_DIR/area with a fresh name; return (relative path, sha256)."""
    folder = os.path.join(data_dir(), area)
    os.makedirs(folder, exist_ok=True)
    keep_reserve(folder, len(data))
    name = f"{uuid.uuid4().hex}{suffix}"
    write_whole(os.path.join(folder, name), data, replace=False)
    return f"{area}/{name}", hashlib.sha256(data).hexdigest()


def keep(area: str, data: bytes, suffix: str = "") -> tuple[str, str]:
    """Store bytes under DATA_DIR/area named by their SHA-256 (written once, whole); return (relative path, sha256).

    The same bytes kept twice are one file: the name proves the content."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{area}/{digest}{suffix}"
    path = os.path.join(data_dir(), relative)
    if not os.path.exists(path):
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        keep_reserve(folder, len(data))
        write_whole(path, data)  # another worker keeping the same bytes writes the same file
    return relative, digest


def kept(area: str, digest: str, suffix: str = "") -> bytes | None:
    """The bytes kept under that digest, or None (checked against their name)."""
    try:
        data = read_bytes(f"{area}/{digest}{suffix}")
    except (FileNotFoundError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def keep_reserve(folder: str, size: int) -> None:
    """Refuse (ENOSPC) a write of `size` bytes that would leave less than the reserve free."""
    reserve = int(current_app.config.get("DISK_RESERVE_MB", 50)) * 1024 * 1024
    if shutil.disk_usage(folder).free - size < reserve:
        raise OSError(errno.ENOSPC, "not enough free space left above the reserve", folder)


def write_whole(path: str, data: bytes, replace: bool = True, hidden: bool = False) -> None:
    """Write `data` to `path` whole or not at all (temporary file, fsync, rename; removed on failure).

    `replace=False` refuses to overwrite an existing file (a server-chosen name is never reused);
    `hidden=True` names the temporary file with a leading dot, so a program polling the folder skips it."""
    folder, name = os.path.split(path)
    partial = os.path.join(folder, f"{'.' if hidden else ''}{name}.{uuid.uuid4().hex}.part")
    try:
        with open(partial, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(partial, path)
        else:
            os.link(partial, path)  # fails if the name exists
            os.remove(partial)
    except BaseException:
        try:
            os.remove(partial)
        except FileNotFoundError:
            pass
        raise


def absolute(relative: str) -> str:
    """The absolute path of a stored file; refuses anything that would leave DATA_DIR."""
    root = data_dir()
    path = os.path.realpath(os.path.join(root, relative))
    if not path.startswith(root + os.sep):
        raise ValueError("path outside the data folder")
    return path


def read_bytes(relative: str) -> bytes:
    with open(absolute(relative), "rb") as f:
        return f.read()
