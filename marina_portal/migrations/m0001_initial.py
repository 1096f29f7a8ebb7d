"""The initial schema."""
from ..models import ALL_MODELS


def apply(db):
    db.create_tables(ALL_MODELS, safe=True)
