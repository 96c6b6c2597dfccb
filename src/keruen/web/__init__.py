"""keruen's web layer: a read-only REST API (``/api/v1``) over the store.

:func:`keruen.web.app.create_app` builds the ASGI application; ``keruen serve`` runs it with
uvicorn. Every route calls a function of :mod:`keruen.api`, so the web, the CLI and the Python
API answer each question the same way.
"""
