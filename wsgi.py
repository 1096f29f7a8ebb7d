"""The WSGI entry point for production: `gunicorn wsgi:app`. It refuses to start with unsafe settings."""

from marina_portal import create_app
from marina_portal.core.production import check

app = check(create_app())
