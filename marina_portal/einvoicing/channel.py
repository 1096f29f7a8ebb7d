"""The interface every e-invoicing channel implements, and the registry channels add themselves to.

A channel deposits an issued invoice or credit note (its Factur-X PDF) where the platform collects it, reads
back what the platform answered (acknowledgements), and hands over the suppliers' invoices that came in.
Nothing here touches the database: einvoicing/sending.py and receiving.py do.
"""

import datetime as dt
import os
from dataclasses import dataclass, field

from marina_portal.core import storage
from marina_portal.core.refusals import Refusal
from marina_portal.models import EinvoiceStatus

KNOWN_STATUSES = frozenset(EinvoiceStatus)  # what an acknowledgement may say


class ChannelError(Refusal):
    """The channel cannot take the document (a folder missing, a buyer without what the channel needs)."""


@dataclass
class Outgoing:
    """One document to hand over: its file name (without .pdf), PDF bytes, and what an envelope may need."""

    file_name: str
    pdf: bytes
    kind: str  # invoice or credit_note
    number: str
    issued_on: dt.date
    total_cents: int
    seller_siret: str = ""
    buyer: dict = field(default_factory=dict)  # name, siren, siret, service_code, engagement


@dataclass
class Ack:
    """What the platform said about one deposited file."""

    file_name: str
    status: str  # one of EinvoiceStatus
    reason: str = ""
    at: dt.datetime | None = None
    source: str = ""  # the acknowledgement file it came from


@dataclass
class Problem:
    """An acknowledgement file that could not be read, set aside with why."""

    source: str
    message: str


@dataclass
class Arrival:
    """A supplier's file received: its name, bytes, and where it came from (to archive once kept)."""

    name: str
    data: bytes
    path: str


def write_atomically(path: str, data: bytes) -> None:
    """Write the whole file under a hidden temporary name in the same folder, then rename it into place:
    a connector polling the folder never sees half a file, and a failure (a full disk) leaves no part of it.
    Refused (ENOSPC) when it would eat the disk reserve kept for the database."""
    storage.keep_reserve(os.path.dirname(path) or ".", len(data))
    storage.write_whole(path, data, hidden=True)


def archive(path, subfolder):
    """Move a file read into `subfolder` next to it (created when needed), so it is read once."""
    folder, name = os.path.split(path)
    target = os.path.join(folder, subfolder)
    os.makedirs(target, exist_ok=True)
    os.replace(path, os.path.join(target, name))


class Channel:
    """The interface every channel implements."""

    name = ""
    label = ""

    def __init__(self, folder):
        if not folder:
            raise ChannelError(f"Le canal {self.label} n'a pas de dossier d'échange configuré.")
        self.folder = folder

    def deposit(self, outgoing):
        """Hand the document over; raises ChannelError when it cannot be."""
        raise NotImplementedError

    def report_collected(self, file_name, on, amount_cents):
        """Tell the platform that the invoice is paid (the « encaissée » status the seller sends)."""
        raise NotImplementedError

    def acknowledgements(self):
        """([Ack], [Problem]) for the files the platform answered since the last call (each read once)."""
        raise NotImplementedError

    def arrivals(self):
        """[Arrival] for the suppliers' files waiting; `done(arrival)` archives one once kept."""
        return []

    def done(self, arrival):
        archive(arrival.path, "done")


REGISTRY = {}


def register(cls):
    REGISTRY[cls.name] = cls
    return cls
