"""``keruen serve``: the REST API (and its docs page) over the store, read-only."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
def serve(host: str, port: int) -> None:
    """Serve the store read-only: REST API under /api/v1, docs at /api/v1/docs.

    The OpenAPI document is at /openapi.json. Needs the web extra: pip install 'keruen[web]'.
    """
    try:
        import uvicorn

        from keruen.web.app import create_app
        from keruen.web.server import config
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        from keruen.errors import ConfigError

        raise ConfigError(
            f"keruen serve needs the web extra ({exc.name} is missing): pip install 'keruen[web]'"
        ) from None
    server = uvicorn.Server(config(create_app(), host, port))
    click.echo(f"keruen: serving the store read-only on http://{host}:{port}/api/v1/docs", err=True)
    server.run()
