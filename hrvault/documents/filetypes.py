"""Which files are accepted: decided by their first bytes (magic numbers), never by the
name or the type the client claims; and how an uploaded filename is made safe to keep.

Accepted: PDF, PNG, JPEG, GIF, WebP, TIFF, HEIC, Office Open XML (docx, xlsx, pptx),
OpenDocument (odt, ods), and plain UTF-8 text (checked over the whole file, markup
refused).

The type found here is the one stored and served back, so a file is always downloaded
with the type its content really has (and ``nosniff``), whatever it was called. A file
whose content matches no accepted type (an executable or a web page renamed ``.pdf``) is
refused.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
from dataclasses import dataclass

from hrvault.errors import BadUserInput, UnsupportedFileType, bad_input

SNIFF_BYTES = 64 * 1024
"""How much of the start of a file the sniffer looks at (zip-based office files need some)."""
MAX_FILENAME_BYTES = 255


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]
    """Accepted name endings, the first being the one added when a name lacks them."""


PDF = FileType("application/pdf", (".pdf",))
PNG = FileType("image/png", (".png",))
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"))
GIF = FileType("image/gif", (".gif",))
WEBP = FileType("image/webp", (".webp",))
TIFF = FileType("image/tiff", (".tif", ".tiff"))
HEIC = FileType("image/heic", (".heic", ".heif"))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
)
ODT = FileType("application/vnd.oasis.opendocument.text", (".odt",))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", (".ods",))
TEXT = FileType("text/plain; charset=utf-8", (".txt", ".csv", ".md", ".text"))
"""Plain UTF-8 text, decided over the whole content (``TextCheck``), never markup."""

ACCEPTED: tuple[FileType, ...] = (
    PDF,
    PNG,
    JPEG,
    GIF,
    WEBP,
    TIFF,
    HEIC,
    DOCX,
    XLSX,
    PPTX,
    ODT,
    ODS,
    TEXT,
)
_OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
_ODF = {ODT.content_type.encode(): ODT, ODS.content_type.encode(): ODS}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_ZIP_LOCAL_HEADER = b"PK\x03\x04"


def _zip_entries(head: bytes) -> list[tuple[bytes, bytes]]:
    """``(name, stored data)`` of the zip entries whose local headers lie within ``head``.

    Headers are found by their signature rather than by walking sizes, because writers
    that stream (data descriptors) leave the sizes in the local header at zero.
    """
    entries = []
    offset = head.find(_ZIP_LOCAL_HEADER)
    while offset != -1 and offset + 30 <= len(head):
        method, compressed, name_length, extra_length = struct.unpack_from(
            "<8xH8xI4xHH", head, offset
        )
        start = offset + 30
        name = head[start : start + name_length]
        data_start = start + name_length + extra_length
        data = head[data_start : data_start + compressed] if method == 0 else b""
        entries.append((name, data))
        offset = head.find(_ZIP_LOCAL_HEADER, start)
    return entries


def _zip_type(head: bytes) -> FileType | None:
    """Office Open XML by the folders of its parts, OpenDocument by its ``mimetype`` entry."""
    entries = _zip_entries(head)
    if entries and entries[0][0] == b"mimetype":
        return _ODF.get(entries[0][1].strip())
    for name, _ in entries:
        for folder, found in _OOXML_PARTS:
            if name.startswith(folder.encode()):
                return found
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class TextCheck:
    """Fed every piece of a file: is all of it UTF-8 text without control characters
    (tabs, line and page breaks aside)? An empty file is text too. Stops looking at the
    first byte that is not."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.is_text = True

    def feed(self, piece: bytes) -> None:
        if not self.is_text:
            return
        try:
            text = self._decoder.decode(piece)
        except UnicodeDecodeError:
            self.is_text = False
            return
        if _CONTROL.search(text):
            self.is_text = False

    def finish(self) -> bool:
        self.feed(b"")
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            self.is_text = False
        return self.is_text


def _is_markup(head: bytes) -> bool:
    """HTML, XML, SVG and the like start with ``<``: never accepted as plain text."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n\f").startswith(b"<")


def sniff(head: bytes, *, is_text: bool = False) -> FileType | None:
    """The accepted type the content starts like, or None; ``head``: up to SNIFF_BYTES.

    ``is_text``: the whole content passed ``TextCheck`` (plain text has no magic number).
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    if head.startswith(_ZIP_LOCAL_HEADER):
        return _zip_type(head)
    if is_text and not _is_markup(head):
        return TEXT
    return None


def require_accepted(head: bytes, *, is_text: bool = False) -> FileType:
    found = sniff(head, is_text=is_text)
    if found is None:
        names = ", ".join(sorted({t.extensions[0].lstrip(".") for t in ACCEPTED}))
        raise UnsupportedFileType(
            f"the file's content is not one of the accepted types ({names});"
            " the name and the declared type do not count",
            accepted=sorted({t.content_type for t in ACCEPTED}),
        )
    return found


_RESERVED = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")


def _refused(reason: str) -> BadUserInput:
    return bad_input("file", f"the filename {reason}")


def normalise_filename(raw: str | None, found: FileType) -> str:
    """The name to keep: Unicode NFC, single spaces, no characters that other systems treat
    specially, at most 255 UTF-8 bytes, ending as the content's type does.

    Path-like names are refused rather than cut down: a name with ``/`` or ``\\``, a
    control character, or a name that is ``.`` or ``..``. (Stored files are named by random
    ids, so a name never reaches a file system path; refusing still tells the client its
    input was wrong.)
    """
    if raw is None or not raw.strip():
        raise _refused("is missing")
    if len(raw) > 4 * MAX_FILENAME_BYTES:
        raise _refused(f"is longer than {MAX_FILENAME_BYTES} bytes")
    name = unicodedata.normalize("NFC", raw)
    if "/" in name or "\\" in name:
        raise _refused("must not contain a path (/ or \\)")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise _refused("must not contain control or unassigned characters")
    name = _SPACES.sub(" ", _RESERVED.sub("_", name)).strip().rstrip(". ")
    if name in ("", ".", ".."):
        raise _refused("is not a file name")
    if not name.lower().endswith(found.extensions):
        name += found.extensions[0]
    return _fit(name)


def _fit(name: str) -> str:
    """Cut the stem (never the extension) until the name fits in 255 UTF-8 bytes."""
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    dot = name.rfind(".")
    stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    while stem and len((stem + suffix).encode()) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip(". ") or "file") + suffix
