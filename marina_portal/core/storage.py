"""Files kept under DATA_DIR (documents, signed PDFs), written once and named by the server."""

import hashlib
import os
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
    name = f"{uuid.uuid4().hex}{suffix}"
    path = os.path.join(folder, name)
    with open(path, "xb") as f:
        f.write(data)
    return f"{area}/{name}", hashlib.sha256(data).hexdigest()


def keep(area, data, suffix=""):
    """Store bytes under DATA_DIR/area named by their SHA-256 (written once, whole); return (relative path, sha256).

    The same bytes kept twice are one file: the name proves the content."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{area}/{digest}{suffix}"
    path = os.path.join(data_dir(), relative)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{uuid.uuid4().hex}.part"
        with open(partial, "xb") as f:
            f.write(data)
        os.replace(partial, path)
    return relative, digest


def kept(area, digest, suffix=""):
    """The bytes kept under that digest, or None (checked against their name)."""
    try:
        data = read_bytes(f"{area}/{digest}{suffix}")
    except (FileNotFoundError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def absolute(relative):
    """The absolute path of a stored file; refuses anything that would leave DATA_DIR."""
    root = data_dir()
    path = os.path.realpath(os.path.join(root, relative))
    if not path.startswith(root + os.sep):
        raise ValueError("path outside the data folder")
    return path


def read_bytes(relative: str) -> bytes:
    with open(absolute(relative), "rb") as f:
        return f.read()
