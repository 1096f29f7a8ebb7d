"""The initial schema."""

from marina_portal.models import ALL_MODELS


def apply(db):
    db.create_tables(ALL_MODELS, safe=True)
