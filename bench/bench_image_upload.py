"""Peak memory of a web worker while a resident posts a photo as a tracking-page comment.

Builds the demo city in a temporary SQLite database, starts gunicorn (`civicdesk.wsgi`, one sync
worker, production settings: DEBUG off) on a free port, warms it up, then for each photo: resets
the worker's peak-RSS counter (/proc/PID/clear_refs), posts the photo with the comment form
(CSRF token and all, as a browser would), and reads the worker's VmHWM (peak RSS) from /proc.

Photos: a 7000x7000 PNG (49 Mpx in ~150 KB of black pixels, the review's attack) and the largest
photo the budget allows (a 6000x4000 JPEG, 24 Mpx, what a 24 MP camera writes). Each photo gets a
fresh server, so one upload's leftovers never count towards the next.

    python bench/bench_image_upload.py [--runs 3] [--code DIR]

`--code DIR` runs the server from another checkout (e.g. `git archive` of main) with this
environment, to measure the code before a change the same way.
"""

import argparse
import io
import re
import secrets
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from http.cookiejar import CookieJar
from pathlib import Path

import benchlib
from bench_memory import free_port, only_child, rss_mb, wait_until_up


def big_png(width, height):
    """A valid black RGB PNG, compressed row by row (the bench never holds its pixels)."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" + bytes(width * 3)
    pixels = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def camera_jpeg(width, height):
    """A photo-like JPEG (gradients plus sensor-like noise, quality 88: ~6.5 MB at 24 Mpx, the size
    of a real 24 MP camera JPEG) of width x height."""
    from PIL import Image

    noise = Image.effect_noise((width, height), 12)
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def multipart(fields, name, filename, data, content_type):
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_comment(base, token, photo):
    """GET the tracking page (cookie + CSRF token), POST the photo: (status, seconds, outcome)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    url = f"{base}/track/{token}/"
    with opener.open(url, timeout=60) as page:
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read()).group(1).decode()
    body, content_type = multipart({"csrfmiddlewaretoken": csrf, "message": ""}, "photos", *photo)
    headers = {"Content-Type": content_type, "Referer": url}
    request = urllib.request.Request(url, body, headers)  # noqa: S310 - our own local server
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=120) as answer:
            status, page = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, page = error.code, error.read()
    elapsed = time.perf_counter() - started
    stored = status == 200 and b"Your comment was added" in page
    return status, round(elapsed, 2), "stored" if stored else "refused"


def peak_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit(f"no VmHWM for {pid}")


def one_upload(args, url, extra, token, photo):
    port = free_port()
    code = Path(args.code or benchlib.ROOT)
    server = subprocess.Popen(  # noqa: S603 - gunicorn from our own environment
        [sys.executable, "-m", "gunicorn", "civicdesk.wsgi:application", "--workers", "1",
         "--worker-class", "sync", "--timeout", "120", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=code, env=benchlib.env(url, **extra),
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        for path in ["/", "/healthz", f"/track/{token}/"] * 10:
            urllib.request.urlopen(base + path, timeout=30).read()  # noqa: S310 - our own server
        worker = only_child(server.pid)
        before = rss_mb(worker)
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        status, seconds, outcome = post_comment(base, token, photo)
        return {"status": status, "seconds": seconds, "outcome": outcome, "rss_before_mb": before,
                "peak_rss_mb": peak_mb(worker)}  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", help="run the server from this checkout instead of this one")
    args = parser.parse_args()
    photos = {
        "png_7000x7000": ("huge.png", big_png(7000, 7000), "image/png"),
        "jpeg_6000x4000": ("camera.jpg", camera_jpeg(6000, 4000), "image/jpeg"),
    }
    results = []
    with tempfile.TemporaryDirectory(prefix="civicdesk-upload-") as tmp:
        url = f"sqlite:///{tmp}/demo.sqlite3"
        # Comments are rate-limited per address: this bench posts more than a resident would.
        # Plain HTTP here, so the CSRF cookie must not be marked Secure.
        extra = {"CIVICDESK_VAR_DIR": tmp, "MEDIA_ROOT": f"{tmp}/media", "PORTAL_COMMENT_RATE": "1000/h"}
        extra["SECURE_COOKIES"] = "false"
        code = str(args.code or benchlib.ROOT)
        setup = (["migrate", "--noinput", "-v0"], ["load_demo"], ["collectstatic", "--noinput", "-v0"])
        for command in setup:
            debug = "true" if command == ["load_demo"] else "false"
            subprocess.run(  # noqa: S603 - our own command, from the checkout being measured
                [sys.executable, "-m", "civicdesk.cli", *command],
                cwd=code, env=benchlib.env(url, DEBUG=debug, **extra), check=True, capture_output=True,
            )  # fmt: skip
        db = sqlite3.connect(f"{tmp}/demo.sqlite3")
        token = db.execute("SELECT tracking_token FROM cases_case ORDER BY id").fetchone()[0]
        for name, photo in photos.items():
            runs = [one_upload(args, url, extra, token, photo) for _ in range(args.runs)]
            sys.stderr.write(f"{name}: {runs}\n")
            results.append(
                {
                    "photo": name,
                    "bytes": len(photo[1]),
                    "statuses": sorted({r["status"] for r in runs}),
                    "outcomes": sorted({r["outcome"] for r in runs}),
                    "median_seconds": benchlib.median([r["seconds"] for r in runs]),
                    "median_rss_before_mb": benchlib.median([r["rss_before_mb"] for r in runs]),
                    "median_peak_rss_mb": benchlib.median([r["peak_rss_mb"] for r in runs]),
                    "max_peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                }
            )
    benchlib.report("image_upload", db="sqlite", code=code, runs=args.runs, results=results)


if __name__ == "__main__":
    main()
