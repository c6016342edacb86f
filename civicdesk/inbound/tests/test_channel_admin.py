"""Channel accounts in the admin (decision 51): secrets write-only and sealed at rest, changes logged
without them, and "send a test" on each provider's real wire (local recording servers, dovecot)."""

import base64
import json
import socket
from urllib.parse import parse_qs

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection

from civicdesk.inbound.channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber
from civicdesk.test import PASSWORD

from . import dovecot as dovecot_server
from .fake_twilio import ACCOUNT, FakeTwilio
from .messaging_helpers import Provider

TOKEN = "tw-secret-token-0123456789"  # noqa: S105 - a test's
TWILIO = "/admin/inbound/twilionumber/"
NUMBER = "+16175550100"


@pytest.fixture
def admin_client(client, cast):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


@pytest.fixture
def fake():
    server = FakeTwilio()
    server.start()
    yield server
    server.stop()


def twilio_number(api_base="https://api.twilio.com", **fields):
    row = TwilioNumber(name="Main line", number=NUMBER, account_sid=ACCOUNT, api_base=api_base, **fields)
    row.set_secret("auth_token", TOKEN)
    row.save()
    return row


def twilio_form(**changes):
    return {
        "name": "Main line",
        "number": NUMBER,
        "account_sid": ACCOUNT,
        "api_base": "https://api.twilio.com",
        "agent_number": "",
        "active": "on",
        "auth_token": "",
        **changes,
    }


def stored_columns(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - a test's own table name
        return " ".join(str(value) for value in cursor.fetchone())


def test_it_stores_the_secret_sealed_and_never_shows_it(admin_client):
    response = admin_client.post(f"{TWILIO}add/", twilio_form(auth_token=TOKEN))
    assert response.status_code == 302
    row = TwilioNumber.objects.get()
    assert row.secret("auth_token") == TOKEN
    assert TOKEN not in stored_columns(TwilioNumber._meta.db_table, row.pk)
    page = admin_client.get(f"{TWILIO}{row.pk}/change/").content.decode()
    assert TOKEN not in page and row.auth_token_sealed not in page
    assert "Currently set" in page
    entry = LogEntry.objects.get(object_id=str(row.pk))
    assert TOKEN not in entry.change_message


def test_a_blank_field_keeps_the_secret_and_a_new_one_replaces_it(admin_client):
    row = twilio_number()
    assert admin_client.post(f"{TWILIO}{row.pk}/change/", twilio_form(name="Renamed")).status_code == 302
    row.refresh_from_db()
    assert row.name == "Renamed" and row.secret("auth_token") == TOKEN
    assert (
        admin_client.post(f"{TWILIO}{row.pk}/change/", twilio_form(auth_token="new-token")).status_code == 302
    )
    row.refresh_from_db()
    assert row.secret("auth_token") == "new-token"
    change = LogEntry.objects.filter(object_id=str(row.pk)).order_by("-pk").first().get_change_message()
    assert "auth token" in change and "new-token" not in change


def test_clear_removes_an_optional_secret_and_is_refused_for_a_required_one(admin_client):
    row = WhatsAppNumber(name="WA", phone_number_id="PNID2")
    for name, value in {"access_token": "EAA1", "app_secret": "app-1", "verify_token": "verify-1"}.items():
        row.set_secret(name, value)
    row.save()
    form = {
        "name": "WA",
        "phone_number_id": "PNID2",
        "template_name": "",
        "template_languages": "en:en_US,es:es",
        "api_base": "https://graph.facebook.com",
        "api_version": "21.0",
        "active": "on",
        "clear_verify_token": "on",
    }
    url = f"/admin/inbound/whatsappnumber/{row.pk}/change/"
    assert admin_client.post(url, form).status_code == 302
    row.refresh_from_db()
    assert not row.has_secret("verify_token") and row.secret("app_secret") == "app-1"

    page = admin_client.post(url, {**form, "clear_app_secret": "on"})
    assert page.status_code == 200 and "This account cannot work without it." in page.content.decode()
    row.refresh_from_db()
    assert row.secret("app_secret") == "app-1"


def test_a_typed_secret_is_not_echoed_when_the_form_has_errors(admin_client):
    page = admin_client.post(f"{TWILIO}add/", twilio_form(auth_token=TOKEN, number="617 not a number"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "E.164" in text and TOKEN not in text
    assert not TwilioNumber.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("api_base", "http://api.example.com", "https://"),
        ("account_sid", "AC/../x", "Only letters"),
        ("agent_number", "12", "E.164"),
    ],
)
def test_it_says_what_is_wrong_with_a_field(admin_client, field, value, error):
    page = admin_client.post(f"{TWILIO}add/", twilio_form(auth_token=TOKEN, **{field: value}))
    assert page.status_code == 200 and error in page.content.decode()


def test_the_environment_account_is_shown_read_only(admin_client, settings):
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "env-token", "+16175550000"
    page = admin_client.get(TWILIO).content.decode()
    assert "From the environment" in page and "+16175550000" in page and "env-token" not in page


# ---------------------------------------------------------------- who may send a test


def test_only_staff_with_the_change_permission_may_send_a_test(client, cast, fake):
    row = twilio_number(api_base=fake.base)
    url = f"{TWILIO}{row.pk}/test/"
    assert client.post(url, {"to": "+16175550123"}).status_code == 302  # anonymous: to the login page
    for user in (cast.erin, cast.dave):  # an agent, a supervisor: not admin staff
        client.force_login(user)
        assert client.post(url, {"to": "+16175550123"}).status_code == 302
    viewer = cast.bob
    type(viewer).objects.filter(pk=viewer.pk).update(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_twilionumber"))
    client.force_login(viewer)
    assert client.get(f"{TWILIO}{row.pk}/change/").status_code == 200  # may look
    assert client.post(url, {"to": "+16175550123"}).status_code == 403  # may not test
    assert fake.requests == []


def test_a_get_sends_nothing_and_the_test_needs_the_csrf_token(cast, fake):
    from django.test import Client

    row = twilio_number(api_base=fake.base)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.root)
    page = client.get(f"{TWILIO}{row.pk}/test/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    assert client.post(f"{TWILIO}{row.pk}/test/", {"to": "+16175550123"}).status_code == 403
    assert fake.requests == []


# ---------------------------------------------------------------- the tests themselves


def test_twilio_test_sends_an_sms_on_the_rest_wire(admin_client, fake):
    row = twilio_number(api_base=fake.base)
    response = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "(617) 555-0123"}, follow=True)
    [(method, path, headers, body)] = fake.requests
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
    assert form["To"] == "+16175550123" and form["From"] == NUMBER and "test message" in form["Body"]
    page = response.content.decode()
    assert "Twilio accepted the test message to +16175550123" in page and TOKEN not in page


def test_twilio_test_refuses_a_number_that_is_not_one(admin_client, fake):
    row = twilio_number(api_base=fake.base)
    page = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "555"})
    assert page.status_code == 200 and "E.164" in page.content.decode()
    assert fake.requests == []


def test_twilio_test_reports_refused_credentials(admin_client, fake):
    fake.status = 401
    row = twilio_number(api_base=fake.base)
    page = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "+16175550123"}, follow=True).content.decode()
    assert "refused the credentials (HTTP 401)" in page and TOKEN not in page


def test_a_test_reports_an_unreachable_host(admin_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens there once the probe closes
    row = twilio_number(api_base=f"http://127.0.0.1:{closed}")
    page = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "+16175550123"}, follow=True).content.decode()
    assert "refused the connection" in page


def test_a_test_reports_a_provider_that_does_not_answer(admin_client, monkeypatch):
    from civicdesk.inbound import checks

    monkeypatch.setattr(checks, "TIMEOUT", 1)
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        row = twilio_number(api_base=f"http://127.0.0.1:{silent.getsockname()[1]}")
        response = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "+16175550123"}, follow=True)
    assert "did not answer within 1 seconds" in response.content.decode()


@pytest.fixture
def graph():
    provider = Provider()
    yield provider
    provider.stop()


def test_whatsapp_test_sends_the_template_on_the_graph_wire(admin_client, graph):
    graph.answer = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.TEST"}]}
    row = WhatsAppNumber(
        name="WA",
        phone_number_id="PNID2",
        api_base=graph.url,
        template_name="case_update",
        template_languages="en:en_US",
    )
    row.set_secret("access_token", "EAAsecret")
    row.set_secret("app_secret", "app-1")
    row.save()
    page = admin_client.post(
        f"/admin/inbound/whatsappnumber/{row.pk}/test/", {"to": "+15551234567"}, follow=True
    )
    [request] = graph.requests
    assert request["path"] == "/v21.0/PNID2/messages"
    assert request["headers"]["Authorization"] == "Bearer EAAsecret"
    assert request["json"]["to"] == "15551234567"
    assert request["json"]["template"]["name"] == "case_update"
    assert request["json"]["template"]["language"] == {"code": "en_US"}
    text = page.content.decode()
    assert "wamid.TEST" in text and "EAAsecret" not in text


def test_whatsapp_test_reports_metas_own_error_without_the_token(admin_client, graph):
    graph.status = 401
    graph.answer = {
        "error": {"message": "Invalid OAuth access token - Cannot parse access token EAAbad", "code": 190}
    }
    row = WhatsAppNumber(name="WA", phone_number_id="PNID2", api_base=graph.url)
    row.set_secret("access_token", "EAAbad")
    row.set_secret("app_secret", "app-1")
    row.save()
    page = admin_client.post(
        f"/admin/inbound/whatsappnumber/{row.pk}/test/", {"to": "+15551234567"}, follow=True
    )
    text = page.content.decode()
    assert "refused the credentials" in text and "Invalid OAuth access token" in text
    assert "EAAbad" not in text


@pytest.fixture
def bot(graph):
    row = TelegramBot(name="City bot", api_base=graph.url)
    row.set_secret("bot_token", "123:bot-token")
    row.set_secret("webhook_secret", "hook-secret")
    row.save()
    return row


def test_telegram_test_calls_get_me_and_says_when_the_webhook_is_not_ours(admin_client, graph, bot):
    graph.queued = [
        (200, {"ok": True, "result": {"username": "riverton311_bot"}}),
        (200, {"ok": True, "result": {"url": "https://elsewhere.example/hook"}}),
    ]
    page = admin_client.post(f"/admin/inbound/telegrambot/{bot.pk}/test/", {}, follow=True).content.decode()
    assert [r["path"] for r in graph.requests] == [
        "/bot123:bot-token/getMe",
        "/bot123:bot-token/getWebhookInfo",
    ]
    assert "@riverton311_bot answers, but its webhook is https://elsewhere.example/hook" in page
    assert "bot-token" not in page


def test_telegram_test_can_point_the_webhook_here_with_the_stored_secret(admin_client, graph, bot, settings):
    ours = f"{settings.SITE_URL}/inbound/telegram/{bot.pk}/"
    graph.queued = [
        (200, {"ok": True, "result": {"username": "riverton311_bot"}}),
        (200, {"ok": True, "result": True}),
        (200, {"ok": True, "result": {"url": ours}}),
    ]
    page = admin_client.post(
        f"/admin/inbound/telegrambot/{bot.pk}/test/", {"register": "on"}, follow=True
    ).content.decode()
    set_webhook = graph.requests[1]
    assert set_webhook["path"] == "/bot123:bot-token/setWebhook"
    assert set_webhook["json"] == {"url": ours, "secret_token": "hook-secret", "allowed_updates": ["message"]}
    assert "its webhook is this site" in page and "hook-secret" not in page


def test_telegram_test_reports_a_revoked_token(admin_client, graph, bot):
    graph.status, graph.answer = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
    page = admin_client.post(f"/admin/inbound/telegrambot/{bot.pk}/test/", {}, follow=True).content.decode()
    assert "refused the credentials (HTTP 401): Unauthorized" in page


# ---------------------------------------------------------------- IMAP, against dovecot


def mailbox(port, password=dovecot_server.PASSWORD, folder="INBOX"):
    row = ImapMailbox(
        name="311 inbox",
        host="127.0.0.1",
        port=port,
        security="none",
        user=dovecot_server.USER,
        folder=folder,
    )
    row.set_secret("password", password)
    row.save()
    return row


def test_imap_test_logs_in_and_counts_the_messages(admin_client, dovecot):
    dovecot.append(b"From: a@example.org\r\nSubject: one\r\n\r\nOne.\r\n")
    dovecot.append(b"From: b@example.org\r\nSubject: two\r\n\r\nTwo.\r\n")
    row = mailbox(dovecot.port)
    page = admin_client.post(f"/admin/inbound/imapmailbox/{row.pk}/test/", {}, follow=True).content.decode()
    assert f"Logged in to 127.0.0.1:{dovecot.port} as {dovecot_server.USER}; INBOX holds 2 messages." in page
    assert [raw for _, raw in dovecot.contents("INBOX")][0].startswith(b"From: a@")  # nothing moved


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"password": "not-the-password"}, "refused the login"),
        ({"folder": "Nowhere"}, "The folder Nowhere does not exist"),
    ],
)
def test_imap_test_says_what_is_wrong(admin_client, dovecot, changes, error):
    row = mailbox(dovecot.port, **changes)
    page = admin_client.post(f"/admin/inbound/imapmailbox/{row.pk}/test/", {}, follow=True).content.decode()
    assert error in page
    assert changes.get("password", dovecot_server.PASSWORD) not in page


def test_the_admin_pages_of_each_kind_answer(admin_client, bot):
    twilio_number()
    for kind in ("imapmailbox", "twilionumber", "whatsappnumber", "telegrambot"):
        assert admin_client.get(f"/admin/inbound/{kind}/").status_code == 200
        assert admin_client.get(f"/admin/inbound/{kind}/add/").status_code == 200
    page = admin_client.get(f"/admin/inbound/telegrambot/{bot.pk}/change/").content.decode()
    assert f"/inbound/telegram/{bot.pk}/" in page and "Send a test" in page
    assert json.dumps("hook-secret")[1:-1] not in page


# ---------------------------------------------------------------- a stored secret goes nowhere new


def whatsapp_row(api_base="https://graph.facebook.com"):
    row = WhatsAppNumber(name="WA", phone_number_id="PNID2", api_base=api_base)
    row.set_secret("access_token", "EAAstored")
    row.set_secret("app_secret", "app-1")
    row.save()
    return row


def telegram_row(api_base="https://api.telegram.org"):
    row = TelegramBot(name="City bot", api_base=api_base)
    row.set_secret("bot_token", "123:stored-token")
    row.set_secret("webhook_secret", "stored-hook")
    row.save()
    return row


def whatsapp_form(**changes):
    return {
        "name": "WA",
        "phone_number_id": "PNID2",
        "template_name": "",
        "template_languages": "",
        "api_base": "https://graph.facebook.com",
        "api_version": "21.0",
        "active": "on",
        **changes,
    }


def telegram_form(**changes):
    return {"name": "City bot", "api_base": "https://api.telegram.org", "active": "on", **changes}


def imap_form(**changes):
    return {
        "name": "311 inbox",
        "host": "127.0.0.1",
        "port": "993",
        "security": "ssl",
        "user": "311",
        "folder": "INBOX",
        "processed_folder": "Processed",
        "refused_folder": "Refused",
        "active": "on",
        **changes,
    }


def imap_row():
    row = ImapMailbox(name="311 inbox", host="127.0.0.1", port=993, security="ssl", user="311")
    row.set_secret("password", "stored-password")
    row.save()
    return row


EVIL = "https://collector.example"
MOVES = [  # kind, the row, the form, a change of where the secrets go, the secrets sent there
    ("twilionumber", twilio_number, twilio_form, {"api_base": EVIL}, {"auth_token": "typed-token"}),
    ("whatsappnumber", whatsapp_row, whatsapp_form, {"api_base": EVIL}, {"access_token": "EAAtyped"}),
    (
        "telegrambot",
        telegram_row,
        telegram_form,
        {"api_base": EVIL},
        {"bot_token": "123:typed", "webhook_secret": "typed-hook"},
    ),
    ("imapmailbox", imap_row, imap_form, {"host": "127.0.0.9"}, {"password": "typed-password"}),
    ("imapmailbox", imap_row, imap_form, {"port": "10993"}, {"password": "typed-password"}),
    ("imapmailbox", imap_row, imap_form, {"security": "starttls"}, {"password": "typed-password"}),
]


@pytest.mark.parametrize(("kind", "make", "form", "move", "secrets"), MOVES)
def test_changing_where_secrets_go_needs_them_typed_again(admin_client, kind, make, form, move, secrets):
    row = make()
    before = {name: row.secret(name) for name in secrets}
    url = f"/admin/inbound/{kind}/{row.pk}/change/"
    page = admin_client.post(url, form(**move))
    assert page.status_code == 200
    assert page.content.decode().count("You changed where it is sent: type it again") == len(secrets)
    row.refresh_from_db()
    assert {name: row.secret(name) for name in secrets} == before  # nothing saved, nowhere new
    assert all(getattr(row, field) != value for field, value in move.items() if field != "port")

    assert admin_client.post(url, form(**move, **secrets)).status_code == 302
    row.refresh_from_db()
    assert {name: row.secret(name) for name in secrets} == secrets


def test_other_changes_keep_the_stored_secrets(admin_client):
    row = telegram_row()
    url = f"/admin/inbound/telegrambot/{row.pk}/change/"
    assert admin_client.post(url, telegram_form(name="Renamed")).status_code == 302
    row.refresh_from_db()
    assert row.name == "Renamed" and row.secret("bot_token") == "123:stored-token"


# ---------------------------------------------------------------- only public hosts (SSRF)


@pytest.fixture
def production(settings):
    settings.CHANNEL_ALLOW_LOCAL_APIS = False
    return settings


@pytest.mark.parametrize(
    ("api_base", "error"),
    [
        ("http://127.0.0.1:8000", "Use an https:// address"),
        ("http://localhost:8000", "Use an https:// address"),
        ("https://127.0.0.1:8443", "127.0.0.1 is (or resolves to) 127.0.0.1, an internal address"),
        ("https://169.254.169.254", "an internal address"),
        ("https://10.1.2.3", "an internal address"),
        ("https://[::1]:8443", "an internal address"),
        ("https://localhost:8443", "localhost is (or resolves to)"),
        ("https://no-such-host.invalid", "could not be found"),
    ],
)
def test_an_api_base_must_be_a_public_https_host(admin_client, production, api_base, error):
    page = admin_client.post(f"{TWILIO}add/", twilio_form(auth_token=TOKEN, api_base=api_base))
    assert page.status_code == 200 and error in page.content.decode()
    assert not TwilioNumber.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"host": "127.0.0.1"}, "an internal address"),
        ({"host": "localhost", "port": "22"}, "an internal address"),
        ({"host": "192.168.1.10"}, "an internal address"),
        ({"host": "imap.example.com", "security": "none"}, "in clear"),
    ],
)
def test_an_imap_host_must_be_public_and_encrypted(admin_client, production, changes, error):
    page = admin_client.post("/admin/inbound/imapmailbox/add/", imap_form(password="pw", **changes))
    assert page.status_code == 200 and error in page.content.decode()
    assert not ImapMailbox.objects.exists()


def test_a_test_connects_to_no_internal_host_even_when_saved_before(admin_client, fake, production):
    row = twilio_number(api_base=fake.base)  # saved while local servers were allowed
    page = admin_client.post(f"{TWILIO}{row.pk}/test/", {"to": "+16175550123"}, follow=True).content.decode()
    assert "Use an https:// address" in page
    assert fake.requests == []


def test_an_imap_test_connects_to_no_internal_host(admin_client, dovecot, production):
    row = mailbox(dovecot.port)
    page = admin_client.post(f"/admin/inbound/imapmailbox/{row.pk}/test/", {}, follow=True).content.decode()
    assert "an internal address" in page and "Logged in" not in page


class Raw:
    """An HTTP server answering every request with one fixed status, headers and body."""

    def __init__(self, status, body=b"", headers=None):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        raw = self
        self.paths = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.do_GET()

            def do_GET(self):  # noqa: N802
                raw.paths.append(self.path)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [401, 500])
def test_a_page_that_is_not_the_providers_json_is_not_shown(admin_client, status):
    server = Raw(status, b"<html>internal admin console: db password hunter2</html>")
    try:
        row = whatsapp_row(api_base=server.url)
        page = admin_client.post(
            f"/admin/inbound/whatsappnumber/{row.pk}/test/", {"to": "+15551234567"}, follow=True
        ).content.decode()
    finally:
        server.stop()
    assert server.paths == ["/v21.0/PNID2/messages"]
    assert "hunter2" not in page and "internal admin console" not in page
    expected = "refused the credentials (HTTP 401)." if status == 401 else "HTTP 500 from the provider."
    assert expected in page


def test_a_providers_long_json_message_is_shortened(admin_client, graph):
    graph.status, graph.answer = 400, {"error": {"message": "Bad parameter " + "x" * 1000 + "TAILMARK"}}
    row = whatsapp_row(api_base=graph.url)
    page = admin_client.post(
        f"/admin/inbound/whatsappnumber/{row.pk}/test/", {"to": "+15551234567"}, follow=True
    ).content.decode()
    assert "answered HTTP 400: Bad parameter xxx" in page and "x" * 200 not in page and "TAILMARK" not in page


def test_a_test_does_not_follow_a_redirect_with_the_token(admin_client):
    elsewhere = Raw(200, b"{}")
    server = Raw(302, headers={"Location": elsewhere.url + "/collect"})
    try:
        row = telegram_row(api_base=server.url)
        url = f"/admin/inbound/telegrambot/{row.pk}/test/"
        page = admin_client.post(url, {}, follow=True).content.decode()
    finally:
        server.stop()
        elsewhere.stop()
    assert server.paths == ["/bot123:stored-token/getMe"] and elsewhere.paths == []
    assert "HTTP 302 from the provider." in page and "stored-token" not in page


# ---------------------------------------------------------------- one number, one account


def test_a_number_the_environment_has_is_refused(admin_client, settings):
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = "env-token", NUMBER
    page = admin_client.post(f"{TWILIO}add/", twilio_form(auth_token=TOKEN))
    assert page.status_code == 200 and "The environment&#x27;s account (TWILIO_FROM)" in page.content.decode()
    assert not TwilioNumber.objects.exists()


def test_a_whatsapp_number_the_environment_has_is_refused(admin_client, settings):
    settings.WHATSAPP_ACCESS_TOKEN, settings.WHATSAPP_PHONE_NUMBER_ID = "EAAenv", "PNID2"
    page = admin_client.post(
        "/admin/inbound/whatsappnumber/add/", whatsapp_form(access_token="EAA1", app_secret="app-1")
    )
    assert page.status_code == 200 and "(WHATSAPP_PHONE_NUMBER_ID)" in page.content.decode()
    assert not WhatsAppNumber.objects.exists()


@pytest.mark.parametrize("where", ["row", "environment"])
def test_a_bot_token_another_account_has_is_refused(admin_client, settings, where):
    if where == "row":
        telegram_row()
    else:
        settings.TELEGRAM_BOT_TOKEN = "123:stored-token"
    before = TelegramBot.objects.count()
    page = admin_client.post(
        "/admin/inbound/telegrambot/add/",
        telegram_form(name="Second", bot_token="123:stored-token", webhook_secret="other-hook"),
    )
    assert page.status_code == 200 and "has this token already" in page.content.decode()
    assert TelegramBot.objects.count() == before


def test_an_inactive_row_keeps_a_bot_token_and_another_may_take_it(admin_client):
    row = telegram_row()
    TelegramBot.objects.filter(pk=row.pk).update(active=False)
    response = admin_client.post(
        "/admin/inbound/telegrambot/add/",
        telegram_form(name="Second", bot_token="123:stored-token", webhook_secret="other-hook"),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("secret", ["has space", "semi;colon", "x" * 257, "ünïcode"])
def test_a_telegram_webhook_secret_is_what_telegram_accepts(admin_client, secret):
    page = admin_client.post(
        "/admin/inbound/telegrambot/add/", telegram_form(bot_token="1:t", webhook_secret=secret)
    )
    assert page.status_code == 200 and "1 to 256 letters, digits" in page.content.decode()
    assert not TelegramBot.objects.exists()
