from __future__ import annotations

import pytest

from capscore.landing.encoding import UndecodableError, decode_text

TEXT = (
    "credit_code,name,address\n"
    "91350100M000100Y43,浙江科亿国际智能悬架技术有限公司,浙江省嘉兴市南湖区\n"
    "91110000600037341L,北京某某科技股份有限公司,北京市海淀区中关村大街1号\n"
)


def test_utf8_without_bom() -> None:
    decoded = decode_text(TEXT.encode("utf-8"))
    assert (decoded.encoding, decoded.text) == ("utf-8", TEXT)
    assert decoded.utf8 == TEXT.encode("utf-8")


def test_utf8_with_bom_drops_the_bom() -> None:
    decoded = decode_text(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert (decoded.encoding, decoded.text) == ("utf-8-sig", TEXT)
    assert decoded.utf8 == TEXT.encode("utf-8")


def test_gb18030_is_detected_and_never_mojibake() -> None:
    decoded = decode_text(TEXT.encode("gb18030"))
    assert (decoded.encoding, decoded.text) == ("gb18030", TEXT)
    assert decoded.utf8 == TEXT.encode("utf-8")


def test_gbk_bytes_decode_as_gb18030() -> None:
    assert decode_text(TEXT.encode("gbk")).text == TEXT


def test_undecodable_file_reports_the_byte_offset() -> None:
    data = b"credit_code,name\n\xff\xfe,x\n"
    with pytest.raises(UndecodableError) as raised:
        decode_text(data)
    assert raised.value.offset == 17
    assert "0xff" in str(raised.value)


def test_utf8_with_a_corrupt_byte_is_rejected_not_read_as_gb18030() -> None:
    good = TEXT.encode("utf-8")
    cut = good.index("嘉".encode())
    data = good[:cut] + b"\xff" + good[cut:]
    with pytest.raises(UndecodableError) as raised:
        decode_text(data)
    assert raised.value.offset == cut


def test_latin1_is_rejected() -> None:
    with pytest.raises(UndecodableError):
        decode_text("name\nCafé Müller, Zürich\n".encode("latin-1"))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_file_cut_inside_its_last_character_keeps_the_rest(encoding: str) -> None:
    data = TEXT.rstrip("\n").encode(encoding)[:-1]
    decoded = decode_text(data)
    assert decoded.encoding == encoding
    assert decoded.text == TEXT.rstrip("\n")[:-1]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_is_rejected(encoding: str) -> None:
    with pytest.raises(UndecodableError):
        decode_text("credit_code,name\nX,abc\n".encode(encoding))
