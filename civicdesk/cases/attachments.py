"""Photos: checked by content, re-encoded without EXIF/GPS metadata, with a thumbnail."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
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
    size = getattr(upload, "size", None)
    limit = settings.ATTACHMENT_MAX_BYTES
    if size is not None and size > limit:
        raise ValidationError(
            {
                "photos": _("“%(name)s” is too large: photos may be at most %(mb)s MB.")
                % {"name": name, "mb": limit // (1024 * 1024)}
            }
        )
    raw = upload.read()
    if len(raw) > limit:
        raise ValidationError(
            {
                "photos": _("“%(name)s” is too large: photos may be at most %(mb)s MB.")
                % {"name": name, "mb": limit // (1024 * 1024)}
            }
        )
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
    content_type, extension = FORMATS[image.format]
    fmt = image.format
    # Turn the pixels the way the camera meant, then drop every metadata block (EXIF, GPS, XMP).
    clean = ImageOps.exif_transpose(image)
    return PreparedImage(_encode(clean, fmt), _encode(_thumb(clean), "JPEG"), content_type, extension, name)


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
    attachment.file.save(f"photo{prepared.extension}", ContentFile(prepared.data), save=False)
    attachment.thumbnail.save("thumb.jpg", ContentFile(prepared.thumbnail), save=False)
    attachment.save()
    return attachment
