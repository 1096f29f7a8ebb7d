"""A full disk: an upload cut short leaves no file behind, a reserve is kept for the database, and the pages
answer the portal's own French 503 page instead of a bare « Internal Server Error »."""

import builtins
import collections
import datetime as dt
import errno
import os

import pytest
from peewee import OperationalError
from test_boat_papers import PDF, papers_of, send_paper, stored_files
from test_contract import contract_id

from marina_portal.billing import invoicing
from marina_portal.core import storage
from marina_portal.core.db import database
from marina_portal.einvoicing import channel, receiving, sending
from marina_portal.models import Customer, EinvoiceSubmission, IncomingInvoice, PdfDownload, Port
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


def _files(folder):
    """Every file under `folder`, hidden ones included."""
    return sorted(os.path.join(root, name) for root, _, names in os.walk(folder) for name in names)


def _no_room(monkeypatch):
    """A disk with 10 MB free, under the 50 MB reserve."""
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(storage.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 10 * 1024**2, 10 * 1024**2))


def test_a_contract_download_on_a_full_disk_keeps_no_part_and_says_so_in_french(app, client, auth, monkeypatch):
    auth.boater()
    cid = contract_id(app)
    monkeypatch.setattr(storage, "open", FullDisk(app.config["DATA_DIR"]), raising=False)
    response = client.get(f"/contract/{cid}/pdf", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 503 and "manque de place" in _text(response)
    assert [f for f in _files(app.config["DATA_DIR"]) if f.endswith(".part")] == []
    with app.app_context():
        assert PdfDownload.select().count() == 0


@pytest.mark.parametrize("disk", ["full", "reserve"])
def test_a_received_einvoice_on_a_full_disk_leaves_nothing(app, monkeypatch, disk):
    if disk == "full":
        monkeypatch.setattr(storage, "open", FullDisk(app.config["DATA_DIR"]), raising=False)
    else:
        _no_room(monkeypatch)
    with app.app_context():
        with pytest.raises(OSError) as refused:
            receiving.keep("facture.pdf", PDF)
        assert refused.value.errno == errno.ENOSPC
        assert _files(os.path.join(app.config["DATA_DIR"], receiving.AREA)) == []
        assert IncomingInvoice.select().count() == 0
        database.close()


@pytest.mark.parametrize("disk", ["full", "reserve"])
def test_an_einvoice_deposit_on_a_full_disk_leaves_no_file_and_no_row(make_app, tmp_path, monkeypatch, disk):
    drop = tmp_path / "drop"
    app = make_app(EINVOICING_DROP_DIR=str(drop))
    with app.app_context():
        port = Port.current()
        port.siren, port.siret, port.vat_number = "732829320", "73282932000074", "FR44732829320"
        port.save()
        customer = Customer.get(Customer.code == "C0001")
        customer.kind, customer.company_name, customer.siren = "business", "CHANTIER NAVAL SAS", "552100554"
        customer.save()
        line = invoicing.Line("Place de port", 1000, vat_rate_bp=2000, unit_price_e4=1_000_000)
        invoice = invoicing.issue(
            invoicing.create_draft(None, customer, "Prestations", [line]), on=dt.date(2031, 3, 14)
        )
        if disk == "full":
            monkeypatch.setattr(storage, "open", FullDisk(str(drop)), raising=False)
        else:
            _no_room(monkeypatch)
        sent, problems = sending.send_month(Port.current(), "2031-03")
        assert sent == [] and len(problems) == 1 and problems[0].startswith(invoice.number)
        assert not EinvoiceSubmission.select().exists()
        assert _files(drop) == []
        database.close()


def test_a_channel_file_on_a_full_disk_leaves_no_hidden_part(tmp_path, app, monkeypatch):
    folder = tmp_path / "exchange"
    folder.mkdir()
    monkeypatch.setattr(storage, "open", FullDisk(str(folder)), raising=False)
    with app.app_context(), pytest.raises(OSError):
        channel.write_atomically(str(folder / "F1.pdf"), b"%PDF-1.7" + b"x" * 4096)
    assert _files(folder) == []
