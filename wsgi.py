"""The WSGI entry point: `gunicorn wsgi:app`."""
from marina_portal import create_app

app = create_app()
