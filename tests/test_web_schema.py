"""Property-based tests generated from the OpenAPI document (schemathesis).

Every route, fed generated parameters (valid and invalid), answers without a server error and
with a body that matches what the document declares for its status.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from jsonschema import Draft202012Validator  # noqa: E402
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
    # the systems of every period take seconds to detect the first time (in the app's build
    # process); `keruen serve` warms them at start-up, here they are built once before the
    # client's 10 s read time-out
    from keruen.store import Store
    from keruen.web.builds import store_digest, systems_table

    store = Store(app.state.path, read_only=True)
    try:
        digest = store_digest(store)
    finally:
        store.close()
    for network in ("world", "post_soviet"):
        app.state.profiles.job(digest, f"systems:{network}", systems_table, network).result(600)
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
    "migrant-share",
    "sources",
    "vintages",
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("route", ROUTES)
def test_no_route_fails_or_breaks_its_schema(operations, route: str, mode) -> None:  # type: ignore[no-untyped-def]
    """Positive cases follow the schema; negative ones break it and must get a 4xx."""
    (operation,) = [op for op in operations if op.path == f"/api/v1/{route}"]
    parameters = operation.definition.raw.get("parameters", [])

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
            # a request that truly breaks the schema *as sent* is never answered 2xx; a mutation
            # that encodes to a valid request (an empty list sent as nothing, 5.0 sent as "5.0")
            # is valid on the wire, and a 2xx is right
            violation = wire_violation(parameters, response.request.url)
            assert response.status_code >= 400 or violation is None, (
                violation,
                case.as_curl_command(),
                response.text[:200],
            )

    check()


def _candidates(text: str) -> list[Any]:
    """What a query value may stand for: the text itself, and a number or boolean it spells."""
    values: list[Any] = [text]
    try:
        values.append(int(text))
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number) and number.is_integer():
                values.append(number)
    if text.strip().lower() in _BOOLEANS:
        values.append(_BOOLEANS[text.strip().lower()])
    return values


_BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def wire_violation(parameters: list[dict[str, Any]], url: str) -> str | None:
    """How the request at ``url`` breaks its route's declared query parameters, or None.

    The request is judged as it was encoded, not as schemathesis generated it: a parameter is
    checked against its schema under every reading of its text (a string, an integer, a
    boolean) and breaks it only if no reading fits; an unknown, repeated or missing required
    parameter breaks it too. Lenient readings keep the check on the safe side: a request it calls
    valid may still be refused, one it calls invalid must be.
    """
    declared = {p["name"]: p for p in parameters if p.get("in") == "query"}
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    seen: set[str] = set()
    for name, text in pairs:
        if name not in declared:
            return f"unknown parameter {name!r}"
        if name in seen:
            return f"parameter {name!r} repeated"
        seen.add(name)
        schema = declared[name].get("schema", {})
        if not any(Draft202012Validator(schema).is_valid(v) for v in _candidates(text)):
            return f"{name}={text!r} breaks {schema}"
    for name, parameter in declared.items():
        if parameter.get("required") and name not in seen:
            return f"required parameter {name!r} missing"
    return None


def test_every_route_of_the_document_is_checked(operations) -> None:  # type: ignore[no-untyped-def]
    """A new route cannot slip past the property-based checks above.

    The SDMX routes (/sdmx/2.1/…, SDMX-ML error messages, not the API's JSON shape) have their
    own property-based check in test_sdmx_service.py.
    """
    paths = {op.path for op in operations if not op.path.startswith("/sdmx/2.1/")}
    assert paths == {f"/api/v1/{r}" for r in ROUTES}


def test_a_mutation_valid_once_encoded_is_not_a_violation(operations) -> None:  # type: ignore[no-untyped-def]
    """The flake of issue #22 item 19: schemathesis added an extra parameter named '' with an
    empty list, which is sent as nothing, and the 200 that followed was counted a failure."""
    (operation,) = [op for op in operations if op.path == "/api/v1/measures"]
    parameters = operation.definition.raw["parameters"]
    case = operation.Case(query={"limit": 5481, "": []})
    response = case.call()
    assert response.status_code == 200
    assert wire_violation(parameters, response.request.url) is None
    # …while what really breaks the schema on the wire is still caught
    for query, status in (
        ({"limit": 5481, "": "x"}, 400),
        ({"limit": "5.5"}, 400),
        ({"limit": 0}, 400),
        ({"format": "xml"}, 400),
        ({"limit": [1, 2]}, 400),
    ):
        response = operation.Case(query=query).call()
        assert wire_violation(parameters, response.request.url) is not None, query
        assert response.status_code == status, query
    assert wire_violation(parameters, "http://x/api/v1/measures?limit=5.0&offset=%2B3") is None
