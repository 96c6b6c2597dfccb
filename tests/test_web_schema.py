"""Property-based tests generated from the OpenAPI document (schemathesis).

Every route, fed generated parameters (valid and invalid), answers without a server error and
with a body that matches what the document declares for its status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    negative_data_rejection,
    positive_data_acceptance,
)

from keruen.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def operations(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    # a generous time limit: a loaded test machine must not turn a slow answer into a 503
    app = create_app(
        Path(tmp_path_factory.mktemp("web-schema")) / "keruen.duckdb", query_timeout=300, warm=False
    )
    # the systems of every period take seconds to detect the first time; `keruen serve` warms
    # them at start-up, here they are computed once before the client's 10 s read time-out
    import keruen.api as kr
    from keruen.store import Store

    store = Store(app.state.path, read_only=True)
    try:
        kr.systems(store=store)
    finally:
        store.close()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [op.ok() for op in schema.get_all_operations()]


ROUTES = [
    "areas",
    "measures",
    "series",
    "bilateral",
    "indicators",
    "estimates",
    "systems",
    "kz-regions",
    "sources",
    "vintages",
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("route", ROUTES)
def test_no_route_fails_or_breaks_its_schema(operations, route: str, mode) -> None:  # type: ignore[no-untyped-def]
    """Positive cases follow the schema; negative ones break it and must get a 4xx."""
    (operation,) = [op for op in operations if op.path == f"/api/v1/{route}"]

    @given(data=st.data())
    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode))
        response = case.call()
        assert response.status_code < 500, response.text
        # A well-formed area code may still name no area (400 unknown_area): that is not a
        # schema violation, so schemathesis's "schema-valid data is accepted" check is left out.
        # Schema-violating requests must get a 4xx in the API's one error shape (414 for an
        # over-long URL included, which schemathesis's own list of rejections lacks).
        excluded = [positive_data_acceptance, negative_data_rejection]
        case.validate_response(response, excluded_checks=excluded)
        if mode is GenerationMode.NEGATIVE and response.status_code >= 400:
            assert set(response.json()) == {"error"}
        if mode is GenerationMode.NEGATIVE and case.meta is not None:
            # a request that truly breaks the schema is never answered 2xx
            component = getattr(case.meta.phase.data, "description", "") or ""
            if "became array" in component and not _repeated_query(case):
                # an array of 0 or 1 items is sent as no parameter or one plain value: the
                # request on the wire follows the schema, so a 2xx is right
                component = ""
            assert response.status_code >= 400 or not component, (
                component,
                case.as_curl_command(),
                response.text[:200],
            )

    check()


def _repeated_query(case) -> bool:  # type: ignore[no-untyped-def]
    """Whether the case sends some query parameter more than once."""
    query = case.query or {}
    return any(isinstance(v, list) and len(v) > 1 for v in query.values())


def test_every_route_of_the_document_is_checked(operations) -> None:  # type: ignore[no-untyped-def]
    """A new route cannot slip past the property-based checks above.

    The SDMX routes (/sdmx/2.1/…, SDMX-ML error messages, not the API's JSON shape) have their
    own property-based check in test_sdmx_service.py.
    """
    paths = {op.path for op in operations if not op.path.startswith("/sdmx/2.1/")}
    assert paths == {f"/api/v1/{r}" for r in ROUTES}
