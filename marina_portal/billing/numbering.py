"""Gapless numbers: the next number of a series is taken under a lock, in the transaction that uses it.

A series is a port's counter row (NumberSeries): "2027" gives invoices 2027/00001, 2027/00002, ...;
"AV2027" gives credit notes AV2027/00001, ... The row is locked (SQLite: BEGIN IMMEDIATE, the database's one
write lock; PostgreSQL: SELECT ... FOR UPDATE) before it is read, and written in the same transaction as the
invoice that takes the number: a rolled-back issue gives its number back, two issues at once never share one.

A new series starts after the highest number of the same form already present (the demo's, an import's
from the previous software), and a number already carried by an imported row is skipped, never given twice.
"""

import re

from marina_portal.core.db import write_locked
from marina_portal.models import NumberSeries

WIDTH = 5
CREDIT_NOTE_PREFIX = "AV"


def invoice_series(on):
    return str(on.year)


def credit_note_series(on):
    return f"{CREDIT_NOTE_PREFIX}{on.year}"


def format_number(series, n):
    return f"{series}/{n:0{WIDTH}d}"


def _highest_present(model, port_id, series):
    pattern = re.compile(re.escape(series) + r"/(\d+)")
    numbers = model.select(model.number).where((model.port == port_id) & model.number.startswith(series + "/"))
    found = [int(m.group(1)) for (number,) in numbers.tuples() if (m := pattern.fullmatch(number))]
    return max(found, default=0)


def _counter(port_id, series):
    return NumberSeries.select().where((NumberSeries.port == port_id) & (NumberSeries.name == series))


def _ensure_counter(model, port_id, series):
    """The counter row exists before it is locked (PostgreSQL locks rows, not their absence)."""
    if not _counter(port_id, series).exists():
        seed = _highest_present(model, port_id, series)
        NumberSeries.insert(port=port_id, name=series, last_number=seed).on_conflict_ignore().execute()


def take_next(model, port_id, series):
    """The next free number of `series` for rows of `model` (Invoice or CreditNote), counted as given.

    Call it inside the transaction that writes the row carrying the number; it takes the lock itself
    (a savepoint when that transaction already holds it)."""
    _ensure_counter(model, port_id, series)
    with write_locked(_counter(port_id, series)):
        counter = _counter(port_id, series).get()
        n = counter.last_number + 1
        while model.select().where((model.port == port_id) & (model.number == format_number(series, n))).exists():
            n += 1  # carried by an imported row: used already, so no gap
        NumberSeries.update(last_number=n).where(NumberSeries.id == counter.id).execute()
    return format_number(series, n)


def take_many(model, port_id, series, count):
    """`count` consecutive free numbers of `series` (see take_next), for a run that issues many rows at once."""
    _ensure_counter(model, port_id, series)
    with write_locked(_counter(port_id, series)):
        counter = _counter(port_id, series).get()
        taken = {
            number
            for (number,) in model.select(model.number)
            .where((model.port == port_id) & model.number.startswith(series + "/"))
            .tuples()
        }
        found, n = [], counter.last_number
        while len(found) < count:
            n += 1
            if format_number(series, n) not in taken:
                found.append(format_number(series, n))
        NumberSeries.update(last_number=n).where(NumberSeries.id == counter.id).execute()
    return found
