"""Photos: checked by content, re-encoded without EXIF/GPS metadata, with a thumbnail."""

import io
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat, floatformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow format -> (content type, file extension). Anything else is refused.
FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
THUMBNAIL = (480, 480)
OPTIMIZE_UP_TO = 2_000_000  # pixels: larger JPEGs are encoded without optimised Huffman tables
# Pillow's own bomb check (a warning above this, an error above twice this) for every image this
# process opens, in line with the budget that uploads are held to.
Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_MAX_PIXELS
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
    """Validate an uploaded file as an image and return clean copies. Raises ValidationError.

    Memory is what limits a web worker here, not bytes: a 190 KB PNG can hold 49 million pixels.
    So the size in pixels is read from the header and checked before anything is decoded, and the
    pixels are then decoded once for the clean copy and once, reduced, for the thumbnail. An image
    prepared already is returned as it is: a caller that checked it first does not decode it twice.
    """
    if isinstance(upload, PreparedImage):
        return upload
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
    fmt = _check_header(raw, name)
    content_type, extension = FORMATS[fmt]
    with _decoding(raw, name):
        thumbnail = _encode(_thumb(raw), "JPEG")
        image = Image.open(io.BytesIO(raw))
        image.load()
        # Turn the pixels the way the camera meant, then drop every metadata block (EXIF, GPS,
        # XMP, comments): encoders copy some of `info` (a JPEG comment, for one) unless cleared.
        ImageOps.exif_transpose(image, in_place=True)
        image.info = {key: value for key, value in image.info.items() if key in KEEP_INFO}
        data = _encode(image, fmt)
    return PreparedImage(data, thumbnail, content_type, extension, name)


def _not_image(name):
    return ValidationError(
        {
            "photos": _("“%(name)s” is not a photo we can read. Use a JPEG, PNG, WebP or GIF image.")
            % {"name": name}
        }
    )


def _too_many_pixels(name):
    budget = floatformat(settings.ATTACHMENT_MAX_PIXELS / 1_000_000, -1)
    message = _(
        "“%(name)s” has too many pixels: photos may have at most %(limit)s million. "
        "Send a smaller copy of the photo."
    )
    return ValidationError({"photos": message % {"name": name, "limit": budget}})


def _check_header(raw, name):
    """The format, after checking the pixel budget from the header alone (no pixel is decoded)."""
    try:
        with Image.open(io.BytesIO(raw)) as header:
            fmt, size = header.format, header.size
    except Image.DecompressionBombError:  # Pillow's own limit, twice ours: refused all the same
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_image(name) from None
    if fmt not in FORMATS:
        raise _not_image(name)
    if size[0] * size[1] > settings.ATTACHMENT_MAX_PIXELS:
        raise _too_many_pixels(name)
    return fmt


@contextmanager
def _decoding(raw, name):
    """Pillow's structural check, then the block that decodes; any decoding failure is "not a photo"."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        yield
    except Image.DecompressionBombError:
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_image(name) from None


def _thumb(raw):
    """A small copy decoded from the file on its own: for a JPEG, draft() lets the decoder scale by
    1/2 to 1/8 as it reads, so the full-size pixels are never held for it."""
    thumb = Image.open(io.BytesIO(raw))
    thumb.thumbnail(THUMBNAIL, reducing_gap=3.0)
    ImageOps.exif_transpose(thumb, in_place=True)
    return thumb.convert("RGB")


def _encode(image, fmt):
    out = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # Optimised Huffman tables make libjpeg hold every DCT coefficient of the image (~3 bytes a
    # pixel: +70 MB at 24 Mpx) to save ~10%: worth it for thumbnails, not for large photos.
    optimize = image.width * image.height <= OPTIMIZE_UP_TO
    options = {"quality": 85, "optimize": optimize} if fmt == "JPEG" else {}
    image.save(out, format=fmt, **options)  # no exif= / pnginfo=: metadata is not written
    return out.getvalue()


def store_image(case, upload, *, uploaded_by=None, public=True):
    """Save a photo (an upload or a PreparedImage) for `case`. Call inside the action's transaction."""
    from .models import Attachment

    prepared = prepare_image(upload)
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
