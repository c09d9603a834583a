"""Strict text decoding of landing files: UTF-8 (with or without BOM), else GB18030.

Providers in China still send GB18030/GBK. Decoding is strict so a file is
never turned into mojibake: a file is either decoded exactly or rejected with
the byte offset of the first undecodable byte.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Bytes around the first UTF-8 error that tell a corrupt UTF-8 file from a
# GB18030 one; bounded so the check costs the same for a 1 GB file.
_SNIFF_BYTES = 1 << 20
_WIDE = re.compile("[\u0800-\ufffc\ufffe-\U0010ffff]")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    utf8: bytes  # `text` as UTF-8 without BOM (the input bytes themselves when possible)


class UndecodableError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


def _byte(data: bytes, offset: int) -> str:
    return f"0x{data[offset]:02x}" if offset < len(data) else "end of data"


def _cut_mid_character(data: bytes, error: UnicodeDecodeError) -> bool:
    """A UTF-8 file truncated inside its last multi-byte character (the rest is valid)."""
    return error.reason == "unexpected end of data" and error.end == len(data)


def _utf8_with_bad_bytes(data: bytes, offset: int) -> bool:
    """UTF-8 text with a few corrupt bytes rather than text in another encoding.

    GB18030 text read as UTF-8 fails on almost every character and practically
    never forms valid 3-byte sequences (which is where CJK lives in UTF-8);
    UTF-8 text with a corrupt byte has many of them, and falling back to GB18030
    for it would decode the valid UTF-8 around the bad byte as mojibake.
    """
    window = data[max(0, offset - _SNIFF_BYTES // 2) : offset + _SNIFF_BYTES // 2]
    lenient = window.decode("utf-8", errors="replace")
    return len(_WIDE.findall(lenient)) > lenient.count("\ufffd")


def _utf8_prefix(data: bytes, end: int, encoding: str) -> DecodedText:
    # A file cut inside its last character: keep what precedes it, so the cut
    # row shows up as a malformed row instead of the whole file failing.
    prefix = data[:end]
    return DecodedText(prefix.decode("utf-8"), encoding, prefix)


def decode_text(data: bytes) -> DecodedText:
    """Decode a landing file's bytes or raise UndecodableError (with the byte offset)."""
    nul = data.find(b"\x00")
    if nul >= 0:
        # Valid UTF-8 but never text a provider means: UTF-16/32 or binary data.
        raise UndecodableError(nul, f"NUL byte at offset {nul}: UTF-16 or binary data, not text")
    if data.startswith(codecs.BOM_UTF8):
        body = data[3:]
        try:
            return DecodedText(body.decode("utf-8"), "utf-8-sig", body)
        except UnicodeDecodeError as error:
            if _cut_mid_character(body, error):
                return _utf8_prefix(body, error.start, "utf-8-sig")
            offset = error.start + 3
            raise UndecodableError(
                offset,
                f"file starts with a UTF-8 BOM but byte {offset} ({_byte(data, offset)}) "
                f"is not valid UTF-8: {error.reason}",
            ) from error
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", data)
    except UnicodeDecodeError as error:
        utf8_error = error
    if _cut_mid_character(data, utf8_error):
        return _utf8_prefix(data, utf8_error.start, "utf-8")
    offset = utf8_error.start
    if _utf8_with_bad_bytes(data, offset):
        raise UndecodableError(
            offset,
            f"UTF-8 text with an invalid byte at offset {offset} ({_byte(data, offset)}): "
            f"{utf8_error.reason}",
        )
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as gb_error:
        if gb_error.end == len(data) and gb_error.reason.startswith("incomplete"):
            text = data[: gb_error.start].decode("gb18030")
            return _checked_gb18030(text, data, offset)
        raise UndecodableError(
            offset,
            f"neither UTF-8 (invalid byte {_byte(data, offset)} at offset {offset}) nor "
            f"GB18030 (invalid byte {_byte(data, gb_error.start)} at offset {gb_error.start})",
        ) from gb_error
    return _checked_gb18030(text, data, offset)


def _checked_gb18030(text: str, data: bytes, utf8_offset: int) -> DecodedText:
    # GB18030 maps almost every pair of high bytes somewhere, many of them into
    # the Private Use Area: real GB text does not use it, bytes of another
    # encoding (Latin-1, a binary file) land there.
    if _PRIVATE_USE.search(text) is not None:
        raise UndecodableError(
            utf8_offset,
            f"not UTF-8 (invalid byte {_byte(data, utf8_offset)} at offset {utf8_offset}) and "
            "decoding as GB18030 yields private-use characters (not GB text)",
        )
    return DecodedText(text, "gb18030", text.encode("utf-8"))
