"""Payment schedules: a contract's choice of instalments (3 or 10 monthly direct debits, 3 card payments), and
the copy each invoice keeps from when it was issued."""

# One ALTER with its default: playhouse would rebuild the table on SQLite, which the keys pointing at it forbid.
# Every contract and invoice so far is paid at once.
ADD_COLUMN = {
    "contract": 'ALTER TABLE "contract" ADD COLUMN "payment_schedule" VARCHAR(255) NOT NULL DEFAULT \'once\'',
    "invoice": 'ALTER TABLE "invoice" ADD COLUMN "payment_schedule" VARCHAR(255) NOT NULL DEFAULT \'once\'',
}


def apply(db):
    db = getattr(db, "obj", None) or db
    for table, statement in ADD_COLUMN.items():
        if "payment_schedule" not in {c.name for c in db.get_columns(table)}:
            db.execute_sql(statement)
