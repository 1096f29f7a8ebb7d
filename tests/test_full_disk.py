"""A full disk: an upload cut short leaves no file behind, a reserve is kept for the database, and the pages
answer the portal's own French 503 page instead of a bare « Internal Server Error »."""

import builtins
import collections
import errno

from peewee import OperationalError
from test_boat_papers import PDF, papers_of, send_paper, stored_files

from marina_portal.core import storage
from marina_portal.views import errors


def _text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


class FullDisk:
    """open() whose files take half of what is written, then fail with ENOSPC (as a filling disk does)."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self, path, mode="r", *args, **kwargs):
        f = builtins.open(path, mode, *args, **kwargs)
        if "w" in mode or "x" in mode:
            real_write = f.write

            def write(data):
                real_write(data[: len(data) // 2])
                f.flush()
                raise OSError(errno.ENOSPC, "No space left on device")

            f.write = write
        return f


def test_an_upload_on_a_full_disk_leaves_nothing_and_says_so_in_french(app, client, auth, monkeypatch):
    auth.boater("C0001")
    monkeypatch.setattr(storage, "open", FullDisk(app.config["DATA_DIR"]), raising=False)
    response = send_paper(client, PDF, "assurance.pdf")
    assert response.status_code == 503
    assert "manque de place pour enregistrer" in _text(response) and "Internal Server Error" not in _text(response)
    assert stored_files(app) == [] and papers_of(app) == []


def test_an_upload_that_would_eat_the_reserve_is_refused_before_writing(app, client, auth, monkeypatch):
    auth.boater("C0001")
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(storage.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10 * 1024 * 1024, 10 * 1024**2))
    response = send_paper(client, PDF, "assurance.pdf")
    assert response.status_code == 503 and "manque de place" in _text(response)
    assert stored_files(app) == []


def test_a_full_database_disk_shows_the_french_page(app, client):
    @app.route("/test-full-database")
    def full_database():
        raise OperationalError("database or disk is full")

    response = client.get("/test-full-database")
    assert response.status_code == 503 and str(errors.DISK_FULL)[:40] in _text(response)
