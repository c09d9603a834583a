"""Strict text decoding of landing files: UTF-8 (with or without BOM), else GB18030.

Providers in China still send GB18030/GBK. Decoding is strict so a file is
never turned into mojibake: a file consistently in GB18030 is decoded as a
whole; otherwise it is read as UTF-8, and every run of bytes that is not UTF-8
(a GB18030 cell pasted into a UTF-8 file, a corrupt byte) is replaced by a
marker, so that the readers parse the file as usual and the rows holding a
marker are quarantined (rule `encoding`) instead of loaded with guessed text.
Only data that is no text at all (NUL bytes: UTF-16, binary) is rejected whole.
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
# A file decoded as GB18030 is taken for GB18030 with at most one Private Use Area
# character in this many wide ones (see _as_gb18030).
PRIVATE_USE_SHARE = 50
# Bytes that are not UTF-8, as `surrogateescape` decodes them.
_ESCAPED = re.compile("[\udc80-\udcff]+")


@dataclass(frozen=True)
class BadBytes:
    """A run of bytes that is not valid in the file's encoding."""

    offset: int  # byte offset in the (decompressed) file
    line: int  # 1-based physical line it is on
    data: bytes

    def shown(self) -> str:
        return "".join(f"\\x{b:02x}" for b in self.data)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    utf8: bytes  # `text` as UTF-8 without BOM (the input bytes themselves when possible)
    bad: tuple[BadBytes, ...] = ()
    marker: str = ""  # stands in `text` for bad run i as f"{marker}{i}{marker}"


class UndecodableError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset


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


def _unused_private_char(text: str) -> str:
    # A character the text does not contain, so a marker is never mistaken for data.
    return next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)


def _non_ascii_span(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    # Widened to the whole run of non-ASCII characters around the bad bytes: a
    # GB18030 cell read as UTF-8 decodes in places ("中国" -> \xd6 "й" \xfa),
    # and showing those pieces as text would be the mojibake we refuse to load.
    while start > floor and ord(text[start - 1]) > 0x7F:
        start -= 1
    while end < len(text) and ord(text[end]) > 0x7F:
        end += 1
    return start, end


def _utf8_marking_bad_bytes(data: bytes, encoding: str, base_offset: int = 0) -> DecodedText:
    """UTF-8 text with the runs of bytes that are not UTF-8 replaced by markers."""
    text = data.decode("utf-8", errors="surrogateescape")
    marker = _unused_private_char(text)
    parts: list[str] = []
    bad: list[BadBytes] = []
    offset, line, last = base_offset, 1, 0
    while (match := _ESCAPED.search(text, last)) is not None:
        start, end = _non_ascii_span(text, match.start(), match.end(), last)
        before = text[last:start]
        offset += len(before.encode("utf-8", errors="surrogateescape"))
        line += before.count("\n")
        raw = text[start:end].encode("utf-8", errors="surrogateescape")
        parts += [before, f"{marker}{len(bad)}{marker}"]
        bad.append(BadBytes(offset, line, raw))
        offset += len(raw)
        last = end
    parts.append(text[last:])
    marked = "".join(parts)
    return DecodedText(marked, encoding, marked.encode("utf-8"), tuple(bad), marker)


def decode_text(data: bytes) -> DecodedText:
    """Decode a landing file's bytes; raise UndecodableError (with the byte offset) only
    for data that is no text (NUL bytes)."""
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
            # The BOM says UTF-8: whatever else is in there is bad bytes, not GB18030.
            return _utf8_marking_bad_bytes(body, "utf-8-sig", base_offset=3)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8", data)
    except UnicodeDecodeError as error:
        utf8_error = error
    if _cut_mid_character(data, utf8_error):
        return _utf8_prefix(data, utf8_error.start, "utf-8")
    if not _utf8_with_bad_bytes(data, utf8_error.start):
        gb18030 = _as_gb18030(data)
        if gb18030 is not None:
            return gb18030
    return _utf8_marking_bad_bytes(data, "utf-8")


def _as_gb18030(data: bytes) -> DecodedText | None:
    """The whole file as GB18030, or None if it is not consistently GB18030."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        if not (error.end == len(data) and error.reason.startswith("incomplete")):
            return None
        # Cut inside its last character: keep what precedes it (the cut row is malformed).
        text = data[: error.start].decode("gb18030")
    # GB18030 maps every pair of high bytes somewhere, one in twelve (2,068 of 23,940)
    # into the Private Use Area: bytes of another encoding (Latin-1, a binary file)
    # land there often. Real GB text does rarely: a user-defined character (造字) or
    # one of the few a 2005 decoder maps there (GB18030-2022 gives 𠂇, FE51, its own
    # code point); those are kept as decoded, which gives back the same bytes.
    private = len(_PRIVATE_USE.findall(text))
    if private * PRIVATE_USE_SHARE > len(_WIDE.findall(text)):
        return None
    return DecodedText(text, "gb18030", text.encode("utf-8"))
