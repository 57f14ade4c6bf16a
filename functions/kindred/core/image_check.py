"""What an image's bytes are checked against before they are stored (no I/O: bytes in memory).

A CID names its bytes: an image the upstream names by its CID (Bluesky) is checked exactly,
`sha256` of the bytes against it (`core.cid`). A Mastodon attachment says nothing of its bytes
but its type (its URL's extension; the adapter holds the answer's Content-Type and
Content-Length to it) and, usually, its size in pixels (`meta.original`). So its bytes must be
an image of that type and that size that decodes whole: a truncated file, an error page, an
empty answer or another format is refused. This is weaker than a CID: other bytes of a whole
image of the same type and size pass, and the CID computed from them then names what was
served (docs/decisions/0013-mastodon.md).
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from kindred.core.cid import blob_cid
from kindred.core.media import MediaImage

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = 40_000_000  # decoded in memory: 160 MB at 4 bytes a pixel, under the 512 MB


def problem(data: bytes, image: MediaImage) -> str | None:
    """Why these bytes are not the image named, or None. `cid_mismatch` for an image named
    by its CID; for one named by its upstream id: `not_image`, `wrong_type` (another format
    than its URL says), `wrong_size` (other pixels than its meta), `too_many_pixels` and
    `undecodable` (cut short, garbled)."""
    if image.cid:
        return None if blob_cid(data) == image.cid else "cid_mismatch"
    try:
        with Image.open(io.BytesIO(data)) as decoded:
            if FORMATS.get(decoded.format or "") != image.mime:
                return "wrong_type" if decoded.format in FORMATS else "not_image"
            if image.width and image.height and decoded.size != (image.width, image.height):
                return "wrong_size"
            if decoded.width * decoded.height > MAX_PIXELS:
                return "too_many_pixels"
            decoded.load()  # the whole image: a file cut short does not decode
    except UnidentifiedImageError:
        return "not_image"
    except Image.DecompressionBombError:
        return "too_many_pixels"
    except (OSError, ValueError, SyntaxError, EOFError):
        return "undecodable"
    return None
