"""What an uploaded file must be besides its magic number (villages.services.attachments and the
public report use it): complete, and not a decompression bomb.

Complete: a PDF has its end-of-file marker (%%EOF) in its last kilobyte, as readers require; a
PNG ends with its IEND chunk; a JPEG reaches its end-of-image marker (after its scan, if any).
A file cut short in transit or on the phone cannot be read by whoever handles it: the sender is
told now, while they still have the original.

Not a bomb: the server never decodes images, but staff browsers do. An image whose header
declares more than MAX_PIXELS (Pillow's own default limit, about 89 megapixels) would exhaust
their memory; the header is read, nothing is decoded.
"""

from __future__ import annotations

from typing import IO, Any

from django.utils.translation import gettext_lazy as _

MAX_PIXELS = 89_478_485
PDF_EOF_WINDOW = 1024
PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Start-of-frame markers carry the image's size; C4, C8 and CC are other segments.
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# Markers without a length: start of image, TEM and the restart markers.
JPEG_BARE = {0xD8, 0x01, *range(0xD0, 0xD8)}

INCOMPLETE = _("The file is damaged or incomplete: send it again.")
TOO_MANY_PIXELS = _("The image is too large: at most %(megapixels)d megapixels.")


def _read_all(upload: IO[bytes]) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def _too_big(width: int, height: int) -> str | None:
    if width * height > MAX_PIXELS:
        return str(TOO_MANY_PIXELS % {"megapixels": MAX_PIXELS // 1_000_000})
    return None


def _pdf(data: bytes) -> str | None:
    return None if b"%%EOF" in data[-PDF_EOF_WINDOW:] else str(INCOMPLETE)


def _png(data: bytes) -> str | None:
    if len(data) < 33 or data[12:16] != b"IHDR":
        return str(INCOMPLETE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return _too_big(width, height) or (None if data.endswith(PNG_IEND) else str(INCOMPLETE))


def _jpeg(data: bytes) -> str | None:
    """Walk the segments up to the scan: the frame's size, then an end-of-image after it."""
    position = 2
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return str(INCOMPLETE)
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:  # end of image before any scan: nothing more to read
            return None
        if marker in JPEG_BARE:
            position += 2
            continue
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if length < 2 or position + 4 > len(data):
            return str(INCOMPLETE)
        if marker in JPEG_SOF and position + 9 <= len(data):
            height = int.from_bytes(data[position + 5 : position + 7], "big")
            width = int.from_bytes(data[position + 7 : position + 9], "big")
            if refused := _too_big(width, height):
                return refused
        if marker == 0xDA:  # start of scan: entropy-coded data never holds FF D9 but at its end
            scan = position + 2 + length
            return None if data.find(b"\xff\xd9", scan) != -1 else str(INCOMPLETE)
        position += 2 + length
    return str(INCOMPLETE)


CHECKS = {"application/pdf": _pdf, "image/png": _png, "image/jpeg": _jpeg}


def upload_refusal(upload: Any) -> str | None:
    """Everything the attachment services refuse a file for (size, emptiness, type by content,
    completeness, pixels), for a form or serializer to put on its own field first; or None."""
    from villages.services.attachments import MAX_ATTACHMENT_BYTES, sniff_content_type

    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        return str(_("A file may be at most 10 MB."))
    if not upload.size:
        return str(_("The file is empty."))
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        return str(_("Only PDF, JPEG and PNG files are accepted."))
    return upload_problem(upload, content_type)


def upload_problem(upload: IO[bytes], content_type: str) -> str | None:
    """Why an upload of `content_type` (judged by its magic number, within the size limit) is
    refused, or None. Reads the file, leaves it at its start."""
    check = CHECKS.get(content_type)
    return check(_read_all(upload)) if check else None
