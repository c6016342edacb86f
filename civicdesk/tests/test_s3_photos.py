"""Photos on S3-compatible storage (django-storages) against a real S3 server: moto's server mode."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Attachment, Case
from civicdesk.notify.models import OutboxMessage

pytestmark = pytest.mark.tasks


def jpeg(name="photo.jpg", colour="red"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def keys(s3):
    listing = s3.client.list_objects_v2(Bucket=s3.bucket)
    return {item["Key"] for item in listing.get("Contents", [])}


def body(response):
    return b"".join(response.streaming_content)


def test_it_stores_a_portal_photo_in_the_bucket_and_serves_it_through_the_photo_view(
    client, cast, s3_storage, django_capture_on_commit_callbacks
):
    before = keys(s3_storage)
    data = {
        "description": "Deep hole",
        "attr_depth": "deep",
        "address": "12 Elm St",
        "email": "res@example.org",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal-report", args=[cast.pothole.code]), data | {"photos": [jpeg()]}
        )
    assert response.status_code == 302
    [photo] = Case.objects.get().attachments.all()
    assert keys(s3_storage) - before == {photo.file.name, photo.thumbnail.name}  # in the bucket, nowhere else
    stored = s3_storage.client.get_object(Bucket=s3_storage.bucket, Key=photo.file.name)["Body"].read()

    served = client.get(reverse("portal-photo", args=[photo.pk, "full"]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert body(served) == stored and Image.open(io.BytesIO(stored)).size == (64, 48)
    thumb = client.get(reverse("portal-photo", args=[photo.pk, "thumb"]))
    assert (
        body(thumb)
        == s3_storage.client.get_object(Bucket=s3_storage.bucket, Key=photo.thumbnail.name)["Body"].read()
    )


def test_it_deletes_the_uploaded_photo_from_the_bucket_when_the_submission_fails(
    cast, s3_storage, monkeypatch
):
    before = keys(s3_storage)

    def explode(*args, **kwargs):
        raise RuntimeError("the database went away mid-action")

    monkeypatch.setattr(OutboxMessage.objects, "create", explode)
    with pytest.raises(RuntimeError):
        actions.submit_case(
            service=cast.pothole,
            answers={"depth": "deep"},
            description="Hole",
            reporter_email="res@example.org",
            photos=[jpeg(colour="blue")],
        )
    assert not Case.objects.exists() and not Attachment.objects.exists()
    assert keys(s3_storage) == before  # written, then removed when the action failed
