"""Real image files for the posts, made without encoding anything per request.

An image is `prefix + tail`. A few *bases* per format are encoded once at start-up (Pillow,
textured noise, so JPEG entropy is that of a photograph); the prefix is most of a base's
bytes, shared, and the tail is a few kB made per image from its key. The SHA-256 state after
each prefix is kept, so an image's CID costs hashing its tail only (~10 us), and its bytes one
join: a feed page of 400 images names them all in a few ms (docs/decisions/0006-local-media.md).

- JPEG (most): encoded with a restart marker after every MCU row, so rows are independent
  byte-aligned segments. The prefix is the header and the top rows; the tail is 2 bottom rows
  picked by the key from 16 spare rows encoded with the base, a COM segment naming the image,
  and EOI. The pixels of the bottom band differ between images, the bytes always do.
- PNG: the prefix ends its IDAT after a full zlib flush; the tail is a second IDAT with a stored
  deflate block of 2 rows of noise from the key (and the Adler-32 of the whole), a tEXt naming the
  image, and IEND.
- WebP: extended format (VP8X) with the base's VP8 bitstream; the tail is an XMP chunk of fixed
  length naming the image, so every image of a base has the same pixels and size.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from kindred_infra.graph_server.cid import cid_from_digest

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
ASPECTS = ((4, 3), (3, 4), (16, 9), (1, 1), (3, 2), (9, 16), (4, 5), (2, 1))
SIZE_FACTORS = (1.0, 0.6, 1.4, 0.8, 1.2, 0.7, 1.1, 0.9)  # bases spread around --image-bytes
JPEG_BASES, OTHER_BASES, SPARE_ROWS, TAIL_ROWS = 8, 2, 16, 2
TAG_BYTES = 120  # image names are padded to this, so a WebP's size is its base's
_RST = re.compile(rb"\xff[\xd0-\xd7]")


@dataclass(frozen=True)
class BlobInfo:
    """What a post's record says about one image, known without making its bytes."""

    cid: str
    mime: str
    size: int
    width: int
    height: int


@dataclass(frozen=True)
class _Base:
    mime: str
    width: int
    height: int
    prefix: bytes
    state: Any  # hashlib sha256 object after the prefix
    spares: tuple[bytes, ...] = ()  # JPEG: spare row segments; PNG: row length
    adler: int = 1  # PNG: Adler-32 of the prefix's raw scanlines


class ImageMaker:
    """Makes the image of a 64-bit key and a name; `build` encodes the bases (~0.3 s)."""

    def __init__(self, bases: tuple[_Base, ...]) -> None:
        self._bases = bases
        self._jpeg = [b for b in bases if b.mime == JPEG]
        self._png = [b for b in bases if b.mime == PNG]
        self._webp = [b for b in bases if b.mime == WEBP]

    @classmethod
    def build(cls, image_bytes: int, seed: int = 0) -> ImageMaker:
        """Encode the bases, each near `image_bytes` (times 0.6 to 1.4) for JPEG."""
        rng = np.random.default_rng(seed)
        bases = [_jpeg_base(rng, image_bytes, i) for i in range(JPEG_BASES)]
        bases += [_png_base(rng, image_bytes, i) for i in range(OTHER_BASES)]
        bases += [_webp_base(rng, image_bytes, i) for i in range(OTHER_BASES)]
        return cls(tuple(bases))

    def info(self, key: int, name: str) -> BlobInfo:
        base, tail = self._tail(key, name)
        state = base.state.copy()
        state.update(tail)
        size = len(base.prefix) + len(tail)
        return BlobInfo(cid_from_digest(state.digest()), base.mime, size, base.width, base.height)

    def content(self, key: int, name: str) -> tuple[str, bytes]:
        """(mime type, bytes) of the image."""
        base, tail = self._tail(key, name)
        return base.mime, base.prefix + tail

    @property
    def memory_bytes(self) -> int:
        return sum(len(b.prefix) + sum(len(s) for s in b.spares) for b in self._bases)

    def _tail(self, key: int, name: str) -> tuple[_Base, bytes]:
        pick, kind = key >> 8, key & 0xFF
        tag = name.encode()[:TAG_BYTES].ljust(TAG_BYTES, b" ")
        if kind < 13:  # ~5%
            base = self._png[pick % len(self._png)]
            return base, _png_tail(base, pick, tag)
        if kind < 26:  # ~5%
            base = self._webp[pick % len(self._webp)]
            return base, _webp_tail(tag)
        base = self._jpeg[pick % len(self._jpeg)]
        return base, _jpeg_tail(base, pick // len(self._jpeg), tag)


def _dimensions(pixels: float, aspect: tuple[int, int], step: int) -> tuple[int, int]:
    w_ratio, h_ratio = aspect
    height = max(2 * step, round((pixels * h_ratio / w_ratio) ** 0.5 / step) * step)
    width = max(2 * step, round(pixels / height / step) * step)
    return width, height


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Blocky colour noise plus fine grain: ~0.6 JPEG bytes a pixel at quality 85."""
    low = rng.integers(0, 256, (height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
    image = np.repeat(np.repeat(low, 4, 0), 4, 1)[:height, :width].astype(np.int16)
    image += rng.integers(-24, 24, (height, width, 3), dtype=np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def _encode(pixels: np.ndarray, fmt: str, **options: Any) -> bytes:
    from PIL import Image  # only the start-up of a --media server needs Pillow

    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt, **options)
    return out.getvalue()


def _jpeg_base(rng: np.random.Generator, image_bytes: int, i: int) -> _Base:
    target = image_bytes * SIZE_FACTORS[i % len(SIZE_FACTORS)]
    width, height = _dimensions(target / 0.6, ASPECTS[i % len(ASPECTS)], 16)
    rows = height // 16
    data = _encode(_texture(rng, height + 16 * SPARE_ROWS, width), "JPEG", quality=85,
                   restart_marker_rows=1)  # fmt: skip
    sos = data.index(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    header = bytearray(data[:start])
    sof = header.index(b"\xff\xc0")
    header[sof + 5 : sof + 7] = struct.pack(">H", height)  # the spare rows are not part of it
    bounds = [m.start() for m in _RST.finditer(data, start)] + [data.rindex(b"\xff\xd9")]
    segments, begin = [], start
    for end in bounds:
        segments.append(data[begin:end])
        begin = end + 2
    shared = rows - TAIL_ROWS
    prefix = bytes(header) + b"".join(s + _rst(n) for n, s in enumerate(segments[:shared]))
    spares = tuple(segments[rows:])
    return _Base(JPEG, width, height, prefix, hashlib.sha256(prefix), spares)


def _rst(n: int) -> bytes:
    return bytes((0xFF, 0xD0 + n % 8))


def _jpeg_tail(base: _Base, pick: int, tag: bytes) -> bytes:
    shared = base.height // 16 - TAIL_ROWS
    parts, spare = [], pick % len(base.spares)
    for n in range(TAIL_ROWS):  # distinct spare rows: a repeated one would let gzip save 3%
        spare = (spare + 1 + (pick >> (4 * n + 4)) % (len(base.spares) - 1)) % len(base.spares)
        parts.append(base.spares[spare])
        if n < TAIL_ROWS - 1:
            parts.append(_rst(shared + n))
    comment = b"kindred " + tag
    parts += [b"\xff\xfe", struct.pack(">H", len(comment) + 2), comment, b"\xff\xd9"]
    return b"".join(parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_base(rng: np.random.Generator, image_bytes: int, i: int) -> _Base:
    width, height = _dimensions(image_bytes / 3, ASPECTS[i % len(ASPECTS)], 1)
    pixels = rng.integers(0, 256, (height - TAIL_ROWS, width, 3), dtype=np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    packer = zlib.compressobj(1)
    stream = packer.compress(raw) + packer.flush(zlib.Z_FULL_FLUSH)  # ends byte-aligned
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    prefix = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", stream)
    row_bytes = struct.pack(">I", 3 * width)
    return _Base(
        PNG, width, height, prefix, hashlib.sha256(prefix), (row_bytes,), zlib.adler32(raw)
    )


def _png_tail(base: _Base, pick: int, tag: bytes) -> bytes:
    row = struct.unpack(">I", base.spares[0])[0]
    noise = np.random.default_rng(pick).bytes(TAIL_ROWS * row)
    raw = b"".join(b"\x00" + noise[n * row : (n + 1) * row] for n in range(TAIL_ROWS))
    stored = b"\x01" + struct.pack("<HH", len(raw), len(raw) ^ 0xFFFF) + raw  # final block
    adler = struct.pack(">I", zlib.adler32(raw, base.adler))
    text = _chunk(b"tEXt", b"Comment\x00kindred " + tag)
    return _chunk(b"IDAT", stored + adler) + text + _chunk(b"IEND", b"")


def _webp_base(rng: np.random.Generator, image_bytes: int, i: int) -> _Base:
    width, height = _dimensions(image_bytes / 0.5, ASPECTS[(i + 3) % len(ASPECTS)], 2)
    data = _encode(_texture(rng, height, width), "WEBP", quality=80)
    if data[12:16] != b"VP8 ":
        raise RuntimeError(f"Pillow's WebP encoder wrote {data[12:16]!r}, not a simple VP8 file")
    bitstream = data[12:]  # the VP8 chunk, already padded to an even length
    vp8x = (
        b"\x04\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    body = _riff_chunk(b"VP8X", vp8x) + bitstream
    total = 4 + len(body) + 8 + len(_xmp(b" " * TAG_BYTES))
    prefix = b"RIFF" + struct.pack("<I", total) + b"WEBP" + body
    return _Base(WEBP, width, height, prefix, hashlib.sha256(prefix))


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) % 2)


def _xmp(tag: bytes) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'dc:identifier="' + tag + b'"/></rdf:RDF></x:xmpmeta>'
    )


def _webp_tail(tag: bytes) -> bytes:
    return _riff_chunk(b"XMP ", _xmp(tag))
