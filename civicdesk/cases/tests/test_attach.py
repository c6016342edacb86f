"""Photos through actions.attach_file and submit_case: checked by content, stored clean, or refused whole."""

import io
import os
import struct
import zlib

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from civicdesk.cases import actions
from civicdesk.cases.models import Attachment, Case, CaseEvent, EventKind

GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="42,21.5N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def camera_jpeg(name="IMG_0001.jpg"):
    """What a phone sends: EXIF with the camera, a GPS position and 'rotate 90°', XMP and a comment."""
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (42.0, 21.0, 30.0), 3: "W", 4: (71.0, 3.0, 36.0)}
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "red").save(out, "JPEG", exif=exif, xmp=XMP, comment=b"12 Elm St")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def png(name="map.png"):
    info = PngInfo()
    info.add_text("Comment", "taken at 42.36,-71.06")
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 128, 0, 128)).save(out, "PNG", pnginfo=info)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def new_case(cast):
    return actions.submit_case(service=cast.pothole, answers={"depth": "deep"})


def written():
    files = {os.path.join(r, f) for r, _, names in os.walk(settings.MEDIA_ROOT) for f in names}
    return Attachment.objects.count(), CaseEvent.objects.count(), Case.objects.count(), files


def refused_message(call):
    before = written()
    with pytest.raises(ValidationError) as error:
        call()
    assert written() == before
    return error.value.message_dict


def test_it_makes_sure_the_camera_photo_really_carries_gps():
    raw = Image.open(camera_jpeg())
    assert raw.getexif().get_ifd(GPS_IFD)[1] == "N" and "xmp" in raw.info and "comment" in raw.info


def test_it_stores_a_camera_photo_upright_without_exif_gps_or_comments(cast):
    case = new_case(cast)
    attachment = actions.attach_file(case, cast.bob, camera_jpeg())
    data = attachment.file.open("rb").read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and attachment.content_type == "image/jpeg"
    assert attachment.file.name.endswith(".jpg") and attachment.size == len(data)
    assert (stored.width, stored.height) == (attachment.width, attachment.height) == (900, 1200)
    assert len(stored.getexif()) == 0 and not {"exif", "xmp", "comment"} & set(stored.info)
    for secret in (b"Exif", b"GPSLatitude", b"PhoneCam", b"12 Elm St"):
        assert secret not in data
    event = case.events.get(kind=EventKind.ATTACHMENT)
    assert event.actor == cast.bob and event.changes == {"attachment": [None, attachment.pk]}


def test_it_makes_a_clean_thumbnail(cast):
    attachment = actions.attach_file(new_case(cast), cast.bob, camera_jpeg())
    thumb = Image.open(attachment.thumbnail.open("rb"))
    assert thumb.format == "JPEG" and thumb.size == (360, 480) and len(thumb.getexif()) == 0


def test_it_accepts_a_png_keeping_its_transparency_but_not_its_text(cast):
    attachment = actions.attach_file(new_case(cast), cast.bob, png())
    data = attachment.file.open("rb").read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "PNG" and stored.mode == "RGBA" and attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png") and b"taken at" not in data
    assert stored.getpixel((0, 0)) == (0, 128, 0, 128)


def test_it_refuses_a_text_file_renamed_jpg(cast):
    case = new_case(cast)
    fake = SimpleUploadedFile("notes.jpg", b"Dear city, please fix the road.", content_type="image/jpeg")
    message = refused_message(lambda: actions.attach_file(case, cast.bob, fake))
    assert message == {
        "photos": ["“notes.jpg” is not a photo we can read. Use a JPEG, PNG, WebP or GIF image."]
    }


@override_settings(ATTACHMENT_MAX_BYTES=2000)
def test_it_refuses_an_oversize_file(cast):
    case = new_case(cast)
    message = refused_message(lambda: actions.attach_file(case, cast.bob, camera_jpeg("big.jpg")))
    assert message == {"photos": ["“big.jpg” is too large: photos may be at most 2.0\xa0KB."]}


@override_settings(ATTACHMENT_MAX_BYTES=2000)
def test_it_refuses_an_oversize_file_that_claims_to_be_small(cast):
    case = new_case(cast)
    upload = camera_jpeg("liar.jpg")
    upload.size = 10  # what a client said, not what it sent
    message = refused_message(lambda: actions.attach_file(case, cast.bob, upload))
    assert "too large" in message["photos"][0]


TOO_MANY = "“{}” has too many pixels: photos may have at most {} million. Send a smaller copy of the photo."


def big_png(width, height, broken=False):
    """A real RGB PNG of width x height, built row by row so the test never holds its pixels;
    `broken` gives it pixel data that is not zlib (a file that fails as soon as anything decodes it)."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" + bytes(width * 3)  # filter byte, then black pixels
    pixels = b"".join(squeeze.compress(row) for _ in range(0 if broken else height)) + squeeze.flush()
    pixels = b"not zlib data" if broken else pixels

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def test_it_refuses_a_49_megapixel_png_of_190_kb(cast):
    data = big_png(7000, 7000)
    assert len(data) < 200_000
    case = new_case(cast)
    upload = SimpleUploadedFile("flat.png", data, content_type="image/png")
    message = refused_message(lambda: actions.attach_file(case, cast.bob, upload))
    assert message == {"photos": [TOO_MANY.format("flat.png", 24)]}


@override_settings(ATTACHMENT_MAX_PIXELS=2_000_000)
def test_it_refuses_from_the_header_before_decoding_any_pixel(cast):
    # The pixel data is garbage: any decoding would fail with "not a photo we can read".
    case = new_case(cast)
    upload = SimpleUploadedFile("cut.png", big_png(2000, 1500, broken=True))
    message = refused_message(lambda: actions.attach_file(case, cast.bob, upload))
    assert message == {"photos": [TOO_MANY.format("cut.png", 2)]}
    within = SimpleUploadedFile("cut.png", big_png(2000, 1000, broken=True))
    message = refused_message(lambda: actions.attach_file(case, cast.bob, within))
    assert "is not a photo we can read" in message["photos"][0]  # inside the budget it is decoded


@override_settings(ATTACHMENT_MAX_PIXELS=1_500_000)
def test_it_accepts_a_photo_of_exactly_the_budget(cast):
    out = io.BytesIO()
    Image.new("RGB", (1500, 1000), "blue").save(out, "JPEG")
    attachment = actions.attach_file(new_case(cast), cast.bob, SimpleUploadedFile("ok.jpg", out.getvalue()))
    assert (attachment.width, attachment.height) == (1500, 1000)
    out = io.BytesIO()
    Image.new("RGB", (1501, 1000), "blue").save(out, "JPEG")
    upload, case = SimpleUploadedFile("big.jpg", out.getvalue()), new_case(cast)
    message = refused_message(lambda: actions.attach_file(case, cast.bob, upload))
    assert message == {"photos": [TOO_MANY.format("big.jpg", "1.5")]}


def test_it_refuses_an_image_beyond_pillows_own_limit(cast):
    out = io.BytesIO()
    Image.new("1", (8000, 7000)).save(out, "PNG")  # 56 megapixels, a few kB compressed
    case = new_case(cast)
    bomb = SimpleUploadedFile("bomb.png", out.getvalue())
    message = refused_message(lambda: actions.attach_file(case, cast.bob, bomb))
    assert message == {"photos": [TOO_MANY.format("bomb.png", 24)]}


def test_it_reads_an_upload_that_was_already_read(cast):
    upload = png()
    upload.read()  # a form field or a virus scanner got there first
    attachment = actions.attach_file(new_case(cast), cast.bob, upload)
    assert attachment.width == 300


def test_it_stores_photos_sent_with_a_new_case(cast):
    case = actions.submit_case(
        service=cast.pothole, answers={"depth": "deep"}, photos=[camera_jpeg(), png()], reporter=cast.alice
    )
    assert sorted(a.content_type for a in case.attachments.all()) == ["image/jpeg", "image/png"]
    assert {e.actor for e in case.events.filter(kind=EventKind.ATTACHMENT)} == {cast.alice}


def test_it_refuses_a_new_case_with_any_bad_photo_and_names_each(cast):
    bad = SimpleUploadedFile("a.jpg", b"nope")
    worse = SimpleUploadedFile("b.gif", b"GIF89a broken")
    message = refused_message(
        lambda: actions.submit_case(
            service=cast.pothole, answers={"depth": "deep"}, photos=[camera_jpeg(), bad, worse]
        )
    )
    assert [m[:5] for m in message["photos"]] == ["“a.jp", "“b.gi"]


def test_it_refuses_a_photo_from_someone_who_may_not_attach(cast):
    case = new_case(cast)
    before = written()
    with pytest.raises(PermissionDenied):
        actions.attach_file(case, cast.carol, png())
    assert written() == before
