"""Online backups: a consistent copy of the SQLite database (backup API) and of the stored files, private
to the portal's user (folders 0700, files 0600)."""

import datetime as dt
import os
import shutil
import sqlite3


class BackupError(Exception):
    pass


def _integrity(path):
    with sqlite3.connect(path) as conn:
        result = conn.execute("pragma integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"integrity_check failed on {path}: {result}")


def _copy_database(source, target):
    """SQLite's backup API copies a consistent snapshot while the portal keeps writing."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    if not os.path.exists(target):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))  # the copy holds every boater's data
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=256)
    finally:
        src.close()
        dst.close()
    _integrity(target)


def _copy_tree(source, target, skip):
    if not os.path.isdir(source):
        return 0
    count = 0
    for root, _dirs, files in os.walk(source):
        for name in files:
            path = os.path.join(root, name)
            if os.path.realpath(path) in skip:
                continue
            rel = os.path.relpath(path, source)
            os.makedirs(os.path.join(target, os.path.dirname(rel)), mode=0o700, exist_ok=True)
            shutil.copy2(path, os.path.join(target, rel))
            os.chmod(os.path.join(target, rel), 0o600)
            count += 1
    return count


def backup(database_path: str, data_dir: str, instance_dir: str, destination: str) -> tuple[str, int]:
    """Write DEST/portal-<UTC time>/ with the database, the stored files and the instance keys."""
    if not os.path.exists(database_path):
        raise BackupError(f"no database at {database_path}")
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = os.path.join(destination, f"portal-{stamp}")
    os.makedirs(destination, mode=0o700, exist_ok=True)
    os.makedirs(folder, mode=0o700)  # private whatever the umask: the keys and every boater's data
    _copy_database(database_path, os.path.join(folder, "portal.sqlite3"))
    db_real = os.path.realpath(database_path)
    skip = {db_real, db_real + "-wal", db_real + "-shm", db_real + "-journal", db_real + ".in-use"}
    skip |= {
        os.path.realpath(os.path.join(data_dir, n)) for n in ("huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm")
    }
    files = _copy_tree(data_dir, os.path.join(folder, "data"), skip)
    _copy_tree(instance_dir, os.path.join(folder, "instance"), set())
    return folder, files


def restore(folder: str, database_path: str, data_dir: str, instance_dir: str) -> int:
    """Put a backup back: the database (checked before and after), the stored files and the instance keys.

    The caller has made sure no other process uses the database (core.db.used_alone). The database being
    replaced is kept aside until the restored one passed its integrity check, and put back if it did not."""
    source_db = os.path.join(folder, "portal.sqlite3")
    if not os.path.exists(source_db):
        raise BackupError(f"{folder} holds no portal.sqlite3")
    _integrity(source_db)
    os.makedirs(os.path.dirname(database_path) or ".", exist_ok=True)
    _copy_database(source_db, database_path + ".restoring")
    aside = database_path + ".before-restore"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database_path + suffix):
            os.replace(database_path + suffix, aside + suffix)
    os.replace(database_path + ".restoring", database_path)
    try:
        _integrity(database_path)
    except (BackupError, sqlite3.DatabaseError) as error:
        os.remove(database_path)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(aside + suffix):
                os.replace(aside + suffix, database_path + suffix)
        raise BackupError(f"the restored database failed its check, the previous one is back: {error}") from None
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(aside + suffix):
            os.remove(aside + suffix)
    files = _copy_tree(os.path.join(folder, "data"), data_dir, set())
    _copy_tree(os.path.join(folder, "instance"), instance_dir, set())
    return files
