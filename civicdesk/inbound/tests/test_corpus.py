"""Every message of the corpus (made for these tests) ends as its manifest says."""

import json
from pathlib import Path

import pytest

from civicdesk.cases.models import CaseEvent, EventKind
from civicdesk.inbound import actions
from civicdesk.inbound.models import InboundMessage

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())["messages"]


def test_it_has_a_manifest_entry_for_every_file():
    assert sorted(MANIFEST) == sorted(p.name for p in CORPUS.glob("*.eml"))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_it_processes_the_corpus(name, cast, emailed_case):
    expected = MANIFEST[name]
    raw = (CORPUS / name).read_bytes().replace(b"{{CASE}}", emailed_case.number.encode())
    stored = actions.receive("email", actions.email_key(raw), raw)
    message = actions.process(stored.pk)
    outcome = expected["outcome"]
    if outcome == "case":
        assert message.status == InboundMessage.Status.PROCESSED, message.reason
        assert message.case != emailed_case
        case = message.case
        assert case.channel == "email"
        assert case.reporter_email == message.sender
        assert message.conversation.case == case
        if "service" in expected:
            assert case.service.code == expected["service"]
        if "text_contains" in expected:
            assert expected["text_contains"] in case.description
        for lacking in expected.get("text_lacks", []):
            assert lacking not in case.description
        if "language" in expected:
            assert case.language == expected["language"]
        if "photos" in expected:
            assert case.attachments.count() == expected["photos"]
        if "files" in expected:
            assert [f["name"] for f in message.attachments] == expected["files"]
    elif outcome == "comment":
        assert message.status == InboundMessage.Status.PROCESSED, message.reason
        assert message.case == emailed_case
        comment = CaseEvent.objects.filter(case=emailed_case, kind=EventKind.COMMENT).get()
        assert comment.message == expected["text"]
    else:
        assert message.status == outcome
        assert expected["reason_contains"] in message.reason
        assert message.case is None
        assert bytes(InboundMessage.objects.get(pk=message.pk).raw) == raw
