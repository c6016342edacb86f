import json

import pytest

from civicdesk.api.models import ApiToken
from civicdesk.cases import actions


def make_token(user, scope="write", departments=(), **fields):
    token = ApiToken(user=user, name=f"{user.email} {scope}", scope=scope, **fields)
    raw = token.issue()
    token.save()
    token.departments.set(departments)
    return raw


class Api:
    """A test client speaking JSON to /api/v1/ with one token (or none)."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def headers(self, extra):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **extra}

    def get(self, path, params=None, **headers):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers(headers))

    def send(self, method, path, body=None, content_type="application/json", **headers):
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        call = getattr(self.client, method.lower())
        return call(
            f"/api/v1{path}", data=data or "", content_type=content_type, headers=self.headers(headers)
        )

    def post(self, path, body=None, **headers):
        return self.send("POST", path, body, **headers)


@pytest.fixture
def api(client, cast):
    """api("bob") -> a client with a write token for bob; api("bob", "read"); api(None) anonymous."""

    def make(name, scope="write", **token_fields):
        if name is None:
            return Api(client)
        return Api(client, make_token(getattr(cast, name), scope, **token_fields))

    return make


@pytest.fixture
def pothole_case(cast):
    """A Public Works case reported by alice, with contact details."""
    return actions.submit_case(
        service=cast.pothole,
        answers={"depth": "deep"},
        description="Deep hole outside the library",
        reporter=cast.alice,
        reporter_phone="555-0100",
    )


@pytest.fixture
def tree_case(cast):
    """A Parks case reported by someone else."""
    return actions.submit_case(service=cast.tree, description="Oak down", reporter_email="x@example.org")


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
