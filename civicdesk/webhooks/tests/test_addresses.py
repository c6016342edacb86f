"""Webhooks go to public addresses only (server-side request forgery), unless WEBHOOK_ALLOW_PRIVATE is
on, and connect to the very addresses that were checked.

The test settings allow private addresses (the receivers listen on 127.0.0.1); the `private_off`
fixture turns that off as production has it. `dns` is a fake resolver for one `.invalid` name (which
real DNS never answers), so a test can choose what the lookup returns and count the lookups.
"""

import shutil
import socket
import ssl
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils.html import escape

from civicdesk.cases import actions
from civicdesk.notify.delivery import deliver
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import PASSWORD
from civicdesk.webhooks.addresses import check_url
from civicdesk.webhooks.models import DeliveryAttempt, Subscription
from conftest import require_component

NAME = "webhooks.city.invalid"
PUBLIC = "93.184.215.14"
INTERNAL = [
    ("http://127.0.0.1:{port}/hooks/civicdesk", "127.0.0.1 is an internal address"),
    ("http://10.20.30.40:{port}/hooks", "10.20.30.40 is an internal address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is an internal address"),
    ("http://[::1]:{port}/hooks", "::1 is an internal address"),
    ("http://localhost:{port}/hooks/civicdesk", "localhost resolves to "),
]


@pytest.fixture
def private_off():
    with override_settings(WEBHOOK_ALLOW_PRIVATE=False):
        yield


class FakeDNS:
    """Answers `answers` in turn for NAME (the last one repeats); every other name goes to real DNS."""

    def __init__(self):
        self.answers = []
        self.lookups = 0
        self.real = socket.getaddrinfo

    def getaddrinfo(self, host, port, *args, **kwargs):
        if host != NAME:
            return self.real(host, port, *args, **kwargs)
        self.lookups += 1
        ips = self.answers[min(self.lookups, len(self.answers)) - 1]
        return [info for ip in ips for info in self.real(ip, port, *args, **kwargs)]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def deliver_created(cast, subscribe, django_capture_on_commit_callbacks):
    """Subscribe `url` to case.created, submit a case; its message after the first attempt."""

    def make(url):
        subscription = subscribe(events=["case.created"])
        subscription.url = url
        subscription.save()
        with django_capture_on_commit_callbacks(execute=True):
            case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
        return OutboxMessage.objects.get(case=case, channel="webhook")

    return make


@pytest.mark.parametrize("url, reason", INTERNAL)
def test_it_refuses_at_send_time_a_receiver_at_an_internal_address(
    receiver, deliver_created, private_off, url, reason
):
    url = url.format(port=receiver.port)
    message = deliver_created(url)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("cancelled", 1)  # at once: no retry
    assert message.last_error.startswith(f"Undeliverable: {reason}")
    [attempt] = DeliveryAttempt.objects.filter(message=message)
    assert attempt.error.startswith(reason) and "WEBHOOK_ALLOW_PRIVATE is on" in attempt.error
    assert (attempt.url, attempt.status_code, attempt.success) == (url, None, False)
    assert receiver.requests == []  # the receiver on 127.0.0.1 never saw a request


def test_it_still_delivers_to_an_internal_receiver_when_the_setting_allows_it(receiver, deliver_created):
    message = deliver_created(f"http://localhost:{receiver.port}/hooks/civicdesk")
    message.refresh_from_db()
    assert message.status == "sent" and len(receiver.requests) == 1
    assert check_url("http://localhost/hooks") is None


def test_it_connects_to_the_checked_address_not_to_a_second_lookup(receiver, deliver_created, dns):
    dns.answers = [["127.0.0.1"], ["127.0.0.2"]]  # DNS rebinding: the next answer points elsewhere
    message = deliver_created(f"http://{NAME}:{receiver.port}/hooks/civicdesk")
    message.refresh_from_db()
    assert message.status == "sent" and dns.lookups == 1
    [(_path, headers, _body)] = receiver.requests
    assert headers["Host"] == f"{NAME}:{receiver.port}"  # the name is kept for the receiver

    # The next attempt looks the name up again (and gets 127.0.0.2, where nothing listens).
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending")
    assert deliver(message.pk) == "pending" and dns.lookups == 2
    assert "Connection refused" in DeliveryAttempt.objects.filter(message=message).first().error


def test_it_refuses_a_name_with_any_internal_address(receiver, deliver_created, dns, private_off):
    dns.answers = [[PUBLIC, "127.0.0.1"]]
    message = deliver_created(f"http://{NAME}:{receiver.port}/hooks/civicdesk")
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert message.last_error.startswith(f"Undeliverable: {NAME} resolves to 127.0.0.1, an internal address")
    assert receiver.requests == []


def certificate(tmp_path, name):
    """A self-signed certificate for `name` (key file, certificate file)."""
    if shutil.which("openssl") is None:
        require_component("the openssl command, to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", key, "-out", cert, "-days", "1", "-subj", f"/CN={name}"]
        + ["-addext", f"subjectAltName=DNS:{name}"],
        check=True,
        capture_output=True,
    )
    return key, cert


@pytest.mark.parametrize("certified_name, status", [(NAME, "sent"), ("other.city.invalid", "pending")])
def test_it_keeps_the_name_for_sni_and_the_certificate_check(
    receiver, deliver_created, dns, tmp_path, monkeypatch, certified_name, status
):
    key, cert = certificate(tmp_path, certified_name)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server_names = []
    tls.sni_callback = lambda _socket, name, _context: server_names.append(name)
    receiver.stop()
    receiver.tls = tls
    receiver.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust this certificate only
    dns.answers = [["127.0.0.1"]]

    message = deliver_created(f"https://{NAME}:{receiver.port}/hooks/civicdesk")
    message.refresh_from_db()
    assert server_names == [NAME] and message.status == status
    if status == "sent":
        assert receiver.requests[0][1]["Host"] == f"{NAME}:{receiver.port}"
    else:
        assert "CERTIFICATE_VERIFY_FAILED" in message.last_error and receiver.requests == []


@pytest.fixture
def root_client(cast, client):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


@pytest.mark.parametrize("url, reason", INTERNAL)
def test_it_refuses_an_internal_receiver_in_the_admin_form(root_client, private_off, url, reason):
    response = root_client.post(
        "/admin/webhooks/subscription/add/", {"name": "Inside", "url": url.format(port=8080), "events": []}
    )
    assert response.status_code == 200
    assert escape(reason) in response.content.decode()
    assert not Subscription.objects.exists()

    public = {"name": "Outside", "url": f"https://{PUBLIC}/hooks", "active": "on", "events": []}
    assert root_client.post("/admin/webhooks/subscription/add/", public).status_code == 302
    assert Subscription.objects.get().url == f"https://{PUBLIC}/hooks"


def codes(url):
    with pytest.raises(ValidationError) as refused:
        check_url(url)
    return [error.code for error in refused.value.error_list], " ".join(refused.value.messages)


def test_it_checks_a_url_for_the_rest_api(private_off):
    assert check_url(f"https://{PUBLIC}:8443/hooks") is None
    assert codes("ftp://files.city.test/in")[0] == ["scheme"]
    assert codes(f"https://{PUBLIC}:99999/hooks")[0] == ["port"]
    assert codes("http://localhost/hooks")[0] == ["private_address"]
    code, message = codes("http://[fd00::1]/hooks")
    assert code == ["private_address"] and message.startswith("fd00::1 is an internal address")
    assert codes("http://no-such-host.invalid/hooks") == (
        ["unknown_host"],
        "The host no-such-host.invalid could not be found; check the address.",
    )
    with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
        assert check_url("http://no-such-host.invalid/hooks") is None  # nothing to check, no lookup
