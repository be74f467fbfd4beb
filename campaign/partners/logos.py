"""A partner's logo: PNG, JPEG or WebP only, checked by its content (never by its
name or the type the browser claims), kept in the database and served from this
site, so no page loads anything from a partner's server.

SVG is refused: it is a document that can carry script and links. The checks read
each format's structure far enough to know it is an image of sensible size: PNG
chunk by chunk with their checksums, JPEG marker by marker up to its image data,
WebP's RIFF container and its first chunk."""

from __future__ import annotations

import hashlib
import struct
import zlib

from flask_babel import lazy_gettext as _l

LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 4096
PNG, JPEG, WEBP = "image/png", "image/jpeg", "image/webp"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (they carry the size); C4, C8 and CC are other things.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class LogoError(ValueError):
    """Not a logo this site takes; the message says why (translated when shown)."""


def _not_an_image() -> LogoError:
    return LogoError(_l("This file is not a PNG, JPEG or WebP image, or it is damaged."))


def _size_ok(width: int, height: int) -> None:
    if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
        raise LogoError(
            _l("The image must be at most %(side)d pixels wide and high.", side=LOGO_MAX_SIDE)
        )


def _png(data: bytes) -> None:
    position, first, ended = len(_PNG_SIGNATURE), True, False
    while position < len(data):
        if position + 12 > len(data):
            raise _not_an_image()
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data) or not kind.isalpha():
            raise _not_an_image()
        body = data[position + 8 : end - 4]
        if zlib.crc32(kind + body) != struct.unpack(">I", data[end - 4 : end])[0]:
            raise _not_an_image()
        if first:
            if kind != b"IHDR" or length != 13:
                raise _not_an_image()
            _size_ok(*struct.unpack(">II", body[:8]))
            first = False
        position = end
        if kind == b"IEND":
            ended = True
            break
    if first or not ended or position != len(data):
        raise _not_an_image()


def _jpeg(data: bytes) -> None:
    position, size = 2, None
    while True:
        if position + 4 > len(data) or data[position] != 0xFF:
            raise _not_an_image()
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if length < 2 or position + 2 + length > len(data):
            raise _not_an_image()
        if marker in _SOF:
            if length < 7:
                raise _not_an_image()
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            size = (width, height)
        if marker == 0xDA:  # start of scan: the image data follows
            break
        position += 2 + length
    if size is None or not data.endswith(b"\xff\xd9"):
        raise _not_an_image()
    _size_ok(*size)


def _webp(data: bytes) -> None:
    declared = struct.unpack("<I", data[4:8])[0]
    if len(data) < 30 or declared + 8 != len(data) or data[8:12] != b"WEBP":
        raise _not_an_image()
    kind, chunk = data[12:16], data[20:]
    if kind == b"VP8X":
        width = 1 + int.from_bytes(chunk[4:7], "little")
        height = 1 + int.from_bytes(chunk[7:10], "little")
    elif kind == b"VP8L":
        if chunk[0] != 0x2F:
            raise _not_an_image()
        bits = int.from_bytes(chunk[1:5], "little")
        width, height = 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    elif kind == b"VP8 ":
        if chunk[3:6] != b"\x9d\x01\x2a":
            raise _not_an_image()
        width = struct.unpack("<H", chunk[6:8])[0] & 0x3FFF
        height = struct.unpack("<H", chunk[8:10])[0] & 0x3FFF
    else:
        raise _not_an_image()
    _size_ok(width, height)


def check_logo(data: bytes) -> str:
    """The media type of ``data`` when it is a PNG, JPEG or WebP image of at most
    LOGO_MAX_BYTES and LOGO_MAX_SIDE pixels a side; raises LogoError otherwise."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(_l("The logo may be at most %(size)d KB.", size=LOGO_MAX_BYTES // 1024))
    if not data:
        raise LogoError(_l("The file is empty."))
    try:
        if data.startswith(_PNG_SIGNATURE):
            _png(data)
            return PNG
        if data.startswith(b"\xff\xd8\xff"):
            _jpeg(data)
            return JPEG
        if data.startswith(b"RIFF"):
            _webp(data)
            return WEBP
    except (struct.error, IndexError):
        raise _not_an_image() from None
    raise LogoError(_l("Only PNG, JPEG or WebP images: no SVG and no other format."))


def logo_digest(logo: bytes | None) -> str:
    """A short fingerprint of the logo: its address changes when the logo does, so
    browsers may keep it for a year."""
    return hashlib.sha256(logo or b"").hexdigest()[:16]
