"""Small helpers the API tests share."""

import datetime
import struct
import zlib
from zoneinfo import ZoneInfo

from django.urls import reverse

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The day the tests' clock shows (see conftest.clock).
TODAY = datetime.date(2023, 6, 15)


def png_bytes():
    """The smallest real PNG: one white pixel."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def url(name, **kwargs):
    """The path of the API endpoint ``name`` (without the ``api:``)."""
    return reverse(f"api:{name}", kwargs=kwargs or None)
