"""API keys: issued by command and admin (shown once), stored hashed, revocable."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicdesk.lib.credentials import hash_secret as hash_key
from civicdesk.open311.models import ApiKey

from .helpers import error_lines, post


def create(*args):
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_it_issues_a_key_from_the_command_as_the_last_word(client, cast):
    output = create("FixMyStreet", "--rate", "5/m", "--department", "public-works")
    key = output.split()[-1]
    row = ApiKey.objects.get()
    assert row.hashed_key == hash_key(key) and key.startswith(row.prefix)
    assert (row.name, row.rate, row.department) == ("FixMyStreet", "5/m", cast.public_works)
    assert key not in str(ApiKey.objects.values())
    assert post(client, key).status_code == 200


def test_it_uses_the_default_rate_from_the_setting(db, settings):
    settings.OPEN311_KEY_RATE = "7/h"
    create("Other")
    assert ApiKey.objects.get().rate == "7/h"


def test_it_refuses_a_bad_rate_or_department(db):
    with pytest.raises(CommandError, match="--rate"):
        create("X", "--rate", "lots")
    with pytest.raises(CommandError, match="--department"):
        create("X", "--department", "nope")
    assert not ApiKey.objects.exists()


def test_it_shows_a_new_key_once_in_the_admin_and_revokes(client, cast):
    client.force_login(cast.root)
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "Partner", "rate": "60/m", "contact": "ops@partner.example"},
        follow=True,
    )
    assert response.status_code == 200
    row = ApiKey.objects.get()
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "copy it now" in str(m)]
    key = next(word for word in message.split() if word.startswith(row.prefix))
    assert row.hashed_key == hash_key(key)
    page = client.get(f"/admin/open311/apikey/{row.pk}/change/").content.decode()
    assert key not in page and row.prefix in page
    assert post(client, key).status_code == 200
    client.post("/admin/open311/apikey/", {"action": "revoke", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert not row.active and row.revoked_at is not None
    assert "revoked" in error_lines(post(client, key))[0]


def test_it_refuses_a_bad_rate_in_the_admin(client, cast):
    client.force_login(cast.root)
    response = client.post("/admin/open311/apikey/add/", {"name": "Partner", "rate": "often"})
    assert response.status_code == 200 and "for example 60/m" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_it_records_a_key_s_last_use_at_most_once_a_minute(client, cast, api_key):
    row, key = api_key
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert post(client, key).status_code == 200
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert post(client, key).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert post(client, key).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == start + timedelta(seconds=60)
