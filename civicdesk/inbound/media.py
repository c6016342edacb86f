"""A message's files: photos that pass the attachment checks go onto the case, privately (as
e-mailed ones); every other file is listed. MMS and WhatsApp media are not in the stored message,
only their address at the provider: they are fetched in the worker, and a fetch that fails for a
reason that may pass (the network, the provider's 5xx or 429) makes the whole message wait and be
processed again later, nothing of it made yet. After ATTEMPTS the message is taken without them.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.tasks import task_backends
from django.utils import timezone

from civicdesk.cases import actions as case_actions
from civicdesk.cases.attachments import prepare_image
from civicdesk.lib import tasks

MAX_IMAGES = 10  # photos attached from one message; the rest stay listed
ATTEMPTS = 6  # fetches of one message's media before it is taken without the ones that failed
TIMEOUT = 10  # seconds


class FetchLater(Exception):
    """A file could not be fetched for a reason that may pass: process the message again later."""


@dataclass
class Part:
    name: str
    content_type: str
    data: bytes


def split_parts(parts):
    """(images to attach, a listing of every part with what became of it)."""
    images, kept = [], []
    for part in parts:
        entry = {"name": part.name, "content_type": part.content_type, "size": len(part.data)}
        # Inline ones too: phones put a photo taken for the report inline. A signature's logo comes
        # along, but attached privately (below) it is only staff who see it.
        if part.content_type.startswith("image/") and len(images) >= MAX_IMAGES:
            entry["outcome"] = f"kept in the raw message: at most {MAX_IMAGES} photos are attached"
        elif part.content_type.startswith("image/"):
            try:
                # Checked here so one bad image refuses only itself; attached as prepared, not again.
                images.append(prepare_image(ContentFile(part.data, name=part.name)))
                entry["outcome"] = "attached"
            except ValidationError as error:
                entry["outcome"] = "refused: " + "; ".join(error.messages)
        else:
            entry["outcome"] = "kept in the raw message"
        kept.append(entry)
    return images, kept


def attach_privately(case, images):
    """A message's photos are for staff: unlike the portal, nothing told the sender they are
    published (staff can still publish one). None is needed to file the case."""
    for image in images:
        case_actions.attach_file(case, None, image, public=False)


# ---------------------------------------------------------------- fetching from the providers


@dataclass
class Remote:
    """A file at the provider: `ref` is the URL (Twilio) or the media id (WhatsApp)."""

    ref: str
    content_type: str
    name: str


def last_attempt(message):
    return message.attempts >= ATTEMPTS - 1


def fetch_all(message, remotes, fetch, give_up):
    """Fetch each file of `message`; returns (images to attach, listing). Files other than images
    are stored through the storage API (the stored message holds only their address). `give_up`:
    list what fails instead of waiting (the message being processed had its last attempt)."""
    parts, failed = [], []
    for remote in remotes:
        try:
            data, content_type = fetch(remote.ref)
        except urllib.error.HTTPError as error:
            if error.code >= 500 or error.code == 429:
                failed.append(_failure(remote, error, give_up))
                continue
            failed.append(listed(remote, f"not fetched: the provider answered HTTP {error.code}"))
            continue
        except ValueError as error:  # too large, an address we refuse to call: no retry helps
            failed.append(listed(remote, f"not fetched: {error}"[:200]))
            continue
        except OSError as error:  # URLError, timeouts, a connection reset
            failed.append(_failure(remote, error, give_up))
            continue
        parts.append(Part(remote.name, content_type or remote.content_type, data))
    images, listing = split_parts(parts)
    for entry, part in zip(listing, parts, strict=True):
        if not entry["content_type"].startswith("image/"):
            path = f"inbound/{message.channel}/{message.pk}/{part.name}"
            entry["outcome"], entry["name"] = "stored", default_storage.save(path, ContentFile(part.data))
    return images, listing + failed


def _failure(remote, error, give_up):
    if not give_up:
        raise FetchLater(f"{remote.name}: {error}"[:200])
    return listed(remote, f"not fetched after {ATTEMPTS} attempts: {error}"[:200])


def listed(remote, outcome):
    return {"name": remote.name, "content_type": remote.content_type, "size": 0, "outcome": outcome}


def fetch_later(message, reason):
    """The message waits (still "received") and its task runs again after a growing pause."""
    message.attempts += 1
    message.reason = f"Media not fetched yet (attempt {message.attempts} of {ATTEMPTS}): {reason}"[:300]
    delay = timedelta(seconds=min(60 * 2 ** (message.attempts - 1), 3600))
    message.next_attempt_at = timezone.now() + delay
    message.save(update_fields=["attempts", "reason", "next_attempt_at"])
    tasks.enqueue_with_transaction(partial(_enqueue_later, message.pk, message.next_attempt_at))


def _enqueue_later(message_id, when):
    from .tasks import process_message

    if task_backends["default"].supports_defer:
        process_message.using(run_after=when).enqueue(message_id)
    # A backend that cannot wait (the tests' immediate one) runs nothing now: process() again retries.


def get(url, headers, limit, timeout=TIMEOUT):
    """GET with credentials that are not passed on to where the provider redirects (Twilio sends
    media to signed storage URLs, which refuse a second kind of authentication)."""
    request = urllib.request.Request(url)  # noqa: S310 - the provider's https (the tests' http)
    for name, value in headers.items():
        request.add_unredirected_header(name, value)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        data = response.read(limit + 1)
        if len(data) > limit:
            raise ValueError(f"larger than {limit} bytes")
        return data, response.headers.get_content_type()


def fetch_whatsapp(media_id, account):
    """Graph API media: the id gives a short-lived URL, which needs the same bearer token. `account`:
    the number the message came to (inbound.config)."""
    if account is None or not account.access_token:
        raise ValueError("no WhatsApp number with an access token is configured")
    token = {"Authorization": f"Bearer {account.access_token}"}
    base = f"{account.api_base.rstrip('/')}/v{account.api_version}"
    info, _type = get(f"{base}/{media_id}", token, 64 * 1024)
    url = json.loads(info).get("url")
    if not isinstance(url, str) or not url.startswith(("https://", account.api_base)):
        raise ValueError("The Graph API gave no usable media URL.")
    return get(url, token, settings.INBOUND_MAX_BYTES)
