"""The OpenAPI document: valid OpenAPI 3.1, every answer declared, and the API fuzzed against it.

The fuzzing runs schemathesis inside the suite, in-process through the WSGI handler, with an
administrator's write token (who may call every operation): a few deterministic examples per
operation, so the whole run stays well under a minute.
"""

import jsonschema
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31

from civicdesk.cases import actions
from civicdesk.webhooks.models import Subscription

from .conftest import make_token

DOCUMENT = "/api/v1/openapi.json"
EXAMPLES_PER_OPERATION = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def document(client, db):
    response = client.get(DOCUMENT)
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_it_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1") and document["info"]["title"] == "CivicDesk API"
    jsonschema.validate(document, OPENAPI_31)
    assert set(document["components"]["securitySchemes"]) == {"BearerAuth", "SessionAuth"}


def test_it_declares_the_error_answers_of_every_operation_with_the_error_schema(document):
    error = {"$ref": "#/components/schemas/ErrorOut"}
    ids = []
    for path, method, operation in operations(document):
        ids.append(operation["operationId"])
        codes = set(operation["responses"])
        expected = {"400", "401", "403", "422", "429"} | (
            {"413", "415"} if method in ("post", "patch") else set()
        )
        assert expected <= codes, (method, path)
        for code, answer in operation["responses"].items():
            if int(code) >= 400:
                assert answer["content"]["application/json"]["schema"] == error, (method, path, code)
        if method == "post":
            assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]], path
        if "/cases/{number}/" in path and method == "post":
            assert {"404", "412"} <= codes and "If-Match" in [p["name"] for p in operation["parameters"]]
    assert len(ids) == len(set(ids))


def test_it_serves_the_interactive_documentation(client, db):
    response = client.get("/api/v1/docs")
    page = response.content.decode()
    assert response.status_code == 200 and DOCUMENT in page
    # Swagger UI comes from our own static files: no third-party requests from the docs page.
    assert "swagger-ui-bundle.js" in page and "https://" not in page and "http://" not in page


# ---------------------------------------------------------------- schemathesis


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, kept from closing the test's database connection after each request
    (as django.test.Client does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, cast, settings, wsgi_app):
    settings.API_RATE = "100000/m"  # the fuzzer must reach the operations, not the rate limit
    return schemathesis.openapi.from_wsgi(DOCUMENT, wsgi_app)


@pytest.fixture
def targets(cast):
    """Real objects for half of the generated requests to hit, so success answers are checked too."""
    cases = [
        actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, reporter_email="f@example.org")
        for _ in range(3)
    ]
    hook = Subscription.objects.create(name="Fuzzed", url="https://hooks.example.org/x")
    return {"number": [c.number for c in cases], "webhook_id": [hook.pk]}


def steer(case, choices, data):
    """Point some generated requests at real cases and hooks, without If-Match, with a real service."""
    if not data.draw(st.booleans(), label="steer"):
        return
    for name, values in choices.items():
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = data.draw(st.sampled_from(values), label=name)
    if case.headers:
        case.headers.pop("If-Match", None)
    if isinstance(case.body, dict):
        if "service" in case.body:
            case.body["service"] = "tree"
        for field in ("case", "target"):
            if field in case.body:
                case.body[field] = data.draw(st.sampled_from(choices["number"]), label=field)
        case.body.pop("external", None)


FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,  # the same requests on every run
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_it_never_fails_and_keeps_to_its_document_under_fuzzing(api_schema, targets, cast, mode):
    headers = {"Authorization": f"Bearer {make_token(cast.root, 'write')}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
        def fuzz(case, data):
            steer(case, targets, data)
            case.call_and_validate(headers=headers, checks=CHECKS)

        fuzz()
