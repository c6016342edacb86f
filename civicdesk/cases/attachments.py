"""Photos: checked by content, re-encoded without EXIF/GPS metadata, with a thumbnail."""

import io
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format -> (content type, file extension). Anything else is refused.
FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
MAX_PIXELS = 50_000_000
THUMBNAIL = (480, 480)
# Image.info entries that are about how pixels look, not about who took them where.
KEEP_INFO = {"transparency", "icc_profile"}


@dataclass
class PreparedImage:
    data: bytes
    thumbnail: bytes
    content_type: str
    extension: str
    name: str


def prepare_image(upload):
    """Validate an uploaded file as an image and return clean copies. Raises ValidationError."""
    name = getattr(upload, "name", "photo") or "photo"
    limit = settings.ATTACHMENT_MAX_BYTES
    too_large = ValidationError(
        {
            "photos": _("“%(name)s” is too large: photos may be at most %(size)s.")
            % {"name": name, "size": filesizeformat(limit)}
        }
    )
    if (getattr(upload, "size", None) or 0) > limit:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)  # a form or a virus scanner may have read it already
    raw = upload.read(limit + 1)  # never more than we would keep, whatever the client claimed
    if len(raw) > limit:
        raise too_large
    image = _open_image(raw, name)
    content_type, extension = FORMATS[image.format]
    fmt = image.format
    # Turn the pixels the way the camera meant, then drop every metadata block (EXIF, GPS, XMP,
    # comments): encoders copy some of `info` (a JPEG comment, for one) unless it is cleared.
    clean = ImageOps.exif_transpose(image)
    clean.info = {key: value for key, value in clean.info.items() if key in KEEP_INFO}
    return PreparedImage(_encode(clean, fmt), _encode(_thumb(clean), "JPEG"), content_type, extension, name)


def _open_image(raw, name):
    not_image = ValidationError(
        {
            "photos": _("“%(name)s” is not a photo we can read. Use a JPEG, PNG, WebP or GIF image.")
            % {"name": name}
        }
    )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        if image.format not in FORMATS or image.width * image.height > MAX_PIXELS:
            raise not_image
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    return image


def _thumb(image):
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL)
    return thumb.convert("RGB")


def _encode(image, fmt):
    out = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    options = {"quality": 85, "optimize": True} if fmt == "JPEG" else {}
    image.save(out, format=fmt, **options)  # no exif= / pnginfo=: metadata is not written
    return out.getvalue()


def store_image(case, upload, *, uploaded_by=None, public=True):
    """Save a photo (an upload or a PreparedImage) for `case`. Call inside the action's transaction."""
    from .models import Attachment

    prepared = upload if isinstance(upload, PreparedImage) else prepare_image(upload)
    attachment = Attachment(
        case=case,
        content_type=prepared.content_type,
        size=len(prepared.data),
        uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None,
        public=public,
    )
    name = f"photo{prepared.extension}"
    # A named ContentFile: Django fills width/height only from a file that has a name.
    attachment.file.save(name, ContentFile(prepared.data, name=name), save=False)
    _remember(attachment.file)
    attachment.thumbnail.save("thumb.jpg", ContentFile(prepared.thumbnail), save=False)
    _remember(attachment.thumbnail)
    attachment.save()
    return attachment


# Files written inside the innermost `removed_on_error()` block, as (storage, name).
_written = ContextVar("civicdesk_written_files", default=None)


def _remember(field_file):
    written = _written.get()
    if written is not None:
        written.append((field_file.storage, field_file.name))


@contextmanager
def removed_on_error():
    """Delete the files stored inside the block when it fails.

    Storage does not roll back with the database: without this, a failed action would leave
    photo files that no row points to. (A rollback of an *outer* transaction after the block has
    finished is not seen here.)
    """
    outer, written = _written.get(), []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise
    else:
        if outer is not None:  # an enclosing block (an import of many cases) may still fail
            outer.extend(written)
    finally:
        _written.reset(token)
