"""The site's static files: fingerprinted names, gzip, and a long cache lifetime (RFC 9111 §5.2.2.1, RFC 8246).

Pages link to ``/static/cyberframe.3f2a9c1b.css``: the name carries the
first eight hex digits of the file's SHA-256, so a changed file gets a new
address and every address can be cached for a year as ``immutable``. The plain
name (``/static/cyberframe.css``) is still served, revalidated on each use
(``no-cache`` with an ETag). Text files are kept gzip-compressed in memory and
sent that way to clients that accept it. The files are read once per app.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, abort, request, url_for

from .context import site

bp = Blueprint("assets", __name__)

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{8})(?P<suffix>\.[A-Za-z0-9]+)$")
_TEXT_TYPES = ("text/", "application/javascript", "image/svg+xml", "application/json")


@dataclass(frozen=True)
class Asset:
    """One static file: its bytes, gzip-compressed bytes (text only), type and fingerprint."""

    name: str
    body: bytes
    gzipped: bytes | None
    media_type: str
    digest: str

    @property
    def fingerprinted(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}.{suffix}" if dot else f"{self.name}.{self.digest}"

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _load() -> dict[str, Asset]:
    assets = {}
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(STATIC).as_posix()
        body = path.read_bytes()
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".js"):
            media_type = "text/javascript"
        text = media_type.startswith(_TEXT_TYPES)
        gzipped = gzip.compress(body, 9, mtime=0) if text and len(body) > 256 else None
        if text and media_type.startswith("text/"):
            media_type += "; charset=utf-8"
        assets[name] = Asset(name, body, gzipped, media_type, hashlib.sha256(body).hexdigest()[:8])
    return assets


def assets() -> dict[str, Asset]:
    """The static files of this app, by name (read once)."""
    found: dict[str, Asset] = site().memo("assets", _load)
    return found


def asset_url(name: str) -> str:
    """The fingerprinted address of the static file *name* (for templates: ``asset_url('cyberframe.css')``)."""
    asset = assets().get(name)
    if asset is None:
        raise LookupError(f"no static file {name}")
    return url_for("assets.static", filename=asset.fingerprinted)


@bp.route("/static/<path:filename>", methods=["GET"])
def static(filename: str) -> Response:
    """A static file by its fingerprinted name (cached for a year) or its plain name (revalidated)."""
    table = assets()
    asset = table.get(filename)
    cache_control = REVALIDATE
    if asset is None:
        match = _FINGERPRINTED.match(filename)
        if match is None:
            abort(404)
        asset = table.get(match["stem"] + match["suffix"])
        if asset is None or asset.digest != match["digest"]:
            abort(404)
        cache_control = IMMUTABLE
    if asset.etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = Response(status=304)
    else:
        zipped = asset.gzipped is not None and request.accept_encodings["gzip"] > 0
        response = Response(asset.gzipped if zipped else asset.body, content_type=asset.media_type)
        if zipped:
            response.headers["Content-Encoding"] = "gzip"
    response.headers["ETag"] = asset.etag
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = "Accept-Encoding"
    return response
