"""A message's files: photos that pass the attachment checks go onto the case, privately (as
e-mailed ones); every other file is listed. MMS and WhatsApp media are not in the stored message,
only their address at the provider: they are fetched in the worker, and a fetch that fails for a
reason that may pass (the network, the provider's 5xx or 429) makes the whole message wait and be
processed again later, nothing of it made yet. After ATTEMPTS the message is taken without them.
The downloads run with the message's locks held: all of them share INBOUND_MEDIA_DEADLINE_SECONDS.
"""

import http.client
import json
import math
import mimetypes
import os
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.tasks import task_backends
from django.utils import timezone
from django.utils.text import get_valid_filename

from civicdesk.cases import actions as case_actions
from civicdesk.cases.attachments import _remember, prepare_image
from civicdesk.lib import tasks

MAX_IMAGES = 10  # photos attached from one message; the rest stay listed
ATTEMPTS = 6  # fetches of one message's media before it is taken without the ones that failed
TIMEOUT = 10  # seconds, for each socket operation
CHUNK = 64 * 1024  # bytes read at a time, the deadline checked between them
WHATSAPP_MEDIA_HOST = "lookaside.fbsbx.com"  # where the Graph API's media URLs point


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
    are stored through the storage API (the stored message holds only their address), and removed
    again if the processing around them fails or waits (`removed_on_error`). `give_up`: list what
    fails instead of waiting (the message being processed had its last attempt)."""
    with deadline():
        parts, failed = _fetch_each(remotes, fetch, give_up)
    images, listing = split_parts(parts)
    for entry, part in zip(listing, parts, strict=True):
        if not entry["content_type"].startswith("image/"):
            # The name is the sender's (a WhatsApp document's filename): shown as it is, stored safely.
            path = f"inbound/{message.channel}/{message.pk}/{storage_name(part)}"
            entry["outcome"], entry["stored"] = "stored", default_storage.save(path, ContentFile(part.data))
            _remember(SimpleNamespace(storage=default_storage, name=entry["stored"]))
    return images, listing + failed


def storage_name(part):
    try:
        return get_valid_filename(os.path.basename(part.name))
    except SuspiciousFileOperation:  # nothing usable left ("..", "/", only symbols)
        return "file" + (mimetypes.guess_extension(part.content_type) or "")


def _fetch_each(remotes, fetch, give_up):
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
        except (OSError, http.client.HTTPException) as error:  # timeouts, a reset, a cut-off answer
            failed.append(_failure(remote, error, give_up))
            continue
        parts.append(Part(remote.name, content_type or remote.content_type, data))
    return parts, failed


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


_message_ends = ContextVar("civicdesk_media_deadline", default=None)


@contextmanager
def deadline():
    """The downloads inside share INBOUND_MEDIA_DEADLINE_SECONDS (one message's processing, whose
    locks are held meanwhile); a block inside another keeps the outer one's deadline."""
    if _message_ends.get() is not None:
        yield
        return
    token = _message_ends.set(time.monotonic() + settings.INBOUND_MEDIA_DEADLINE_SECONDS)
    try:
        yield
    finally:
        _message_ends.reset(token)


def _time_left(ends, timeout):
    """The socket timeout for the next operation; a TimeoutError (a failure that may pass) once the
    deadline has gone."""
    left = ends - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"not fetched within {settings.INBOUND_MEDIA_DEADLINE_SECONDS:g} seconds")
    return min(timeout, left)


def get(url, headers, limit, timeout=TIMEOUT):
    """GET with credentials that are not passed on to where the provider redirects (Twilio sends
    media to signed storage URLs, which refuse a second kind of authentication). Read in chunks
    against the file's deadline (what is left of its message's): a socket timeout alone never ends
    a download that trickles a byte at a time."""
    ends = min(_message_ends.get() or math.inf, time.monotonic() + settings.INBOUND_MEDIA_DEADLINE_SECONDS)
    request = urllib.request.Request(url)  # noqa: S310 - the provider's https (the tests' http)
    for name, value in headers.items():
        request.add_unredirected_header(name, value)
    with urllib.request.urlopen(request, timeout=_time_left(ends, timeout)) as response:  # noqa: S310
        data = bytearray()
        while chunk := response.read1(CHUNK):
            data += chunk
            if len(data) > limit:
                raise ValueError(f"larger than {limit} bytes")
            _time_left(ends, timeout)
        if response.length:  # the connection closed before the Content-Length it announced
            raise http.client.IncompleteRead(bytes(data), response.length)
        return bytes(data), response.headers.get_content_type()


def fetch_whatsapp(media_id, account):
    """Graph API media: the id gives a short-lived URL, which needs the same bearer token. `account`:
    the number the message came to (inbound.config)."""
    if account is None or not account.access_token:
        raise ValueError("no WhatsApp number with an access token is configured")
    token = {"Authorization": f"Bearer {account.access_token}"}
    base = f"{account.api_base.rstrip('/')}/v{account.api_version}"
    info, _type = get(f"{base}/{quote(media_id, safe='')}", token, 64 * 1024)
    answer = json.loads(info)
    url = answer.get("url") if isinstance(answer, dict) else None
    if not isinstance(url, str) or not _meta_media_url(url, account.api_base):
        raise ValueError("The Graph API gave no usable media URL.")
    return get(url, token, settings.INBOUND_MAX_BYTES)


def _meta_media_url(url, api_base):
    """The token goes only to Meta's media host, or to the Graph API itself (the tests' server)."""
    target, graph = urlsplit(url), urlsplit(api_base)
    return (target.scheme, target.netloc) in {("https", WHATSAPP_MEDIA_HOST), (graph.scheme, graph.netloc)}
