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


def test_a_rare_gb18030_character_does_not_turn_the_file_to_utf8() -> None:
    # FE51 (𠂇 in GB18030-2022) decodes into the Private Use Area; the file is GB18030.
    rare = "嘉兴" + bytes([0xFE, 0x51]).decode("gb18030") + "记精密机械有限公司"
    text = TEXT + f"91350100M000100Y43,{rare},浙江省嘉兴市\n"
    decoded = decode_text(text.encode("gb18030"))
    assert (decoded.encoding, decoded.text, decoded.bad) == ("gb18030", text, ())


def test_high_bytes_of_no_gb_text_are_not_read_as_gb18030() -> None:
    # Every pair of high bytes decodes as GB18030; one in twelve into the Private Use
    # Area, which real GB text all but never uses.
    noise = bytes(0xA1 + (i * 37) % 94 for i in range(400)) + bytes(0xAA + i % 6 for i in range(40))
    decoded = decode_text(b"name\n" + noise + b"\n")
    assert decoded.encoding == "utf-8" and decoded.bad


def test_gbk_bytes_decode_as_gb18030() -> None:
    assert decode_text(TEXT.encode("gbk")).text == TEXT


def test_undecodable_bytes_are_marked_with_their_offset_and_line() -> None:
    data = b"credit_code,name\n\xff\xfe,x\n"
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8"
    [bad] = decoded.bad
    assert (bad.offset, bad.line, bad.data, bad.shown()) == (17, 2, b"\xff\xfe", "\\xff\\xfe")
    assert decoded.text == f"credit_code,name\n{decoded.marker}0{decoded.marker},x\n"
    assert decoded.marker not in TEXT and decoded.utf8 == decoded.text.encode()


def test_utf8_with_a_corrupt_byte_is_marked_not_read_as_gb18030() -> None:
    good = TEXT.encode("utf-8")
    cut = good.index("嘉".encode())
    data = good[:cut] + b"\xff" + good[cut:]
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8"
    # The bad byte's run is widened to the non-ASCII text around it, shown as bytes.
    [bad] = decoded.bad
    assert bad.line == 2 and b"\xff" in bad.data
    assert "浙江科亿国际智能悬架技术有限公司" in decoded.text


def test_a_gb18030_cell_in_a_utf8_file_is_marked_whole_never_half_decoded() -> None:
    gb = "中国".encode("gb18030")  # its middle bytes happen to be valid UTF-8
    data = TEXT.encode() + b"X," + gb + b",x\n"
    decoded = decode_text(data)
    assert decoded.encoding == "utf-8"
    [bad] = decoded.bad
    assert bad.data == gb and bad.line == 4
    assert decoded.text.endswith(f"X,{decoded.marker}0{decoded.marker},x\n")


def test_latin1_rows_are_marked_not_guessed() -> None:
    decoded = decode_text("name\nCafé Müller, Zürich\n".encode("latin-1"))
    assert decoded.encoding == "utf-8"
    assert [b.data for b in decoded.bad] == [b"\xe9", b"\xfc", b"\xfc"]
    assert "Caf" + decoded.marker in decoded.text


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_file_cut_inside_its_last_character_keeps_the_rest(encoding: str) -> None:
    data = TEXT.rstrip("\n").encode(encoding)[:-1]
    decoded = decode_text(data)
    assert decoded.encoding == encoding
    assert decoded.text == TEXT.rstrip("\n")[:-1]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_is_rejected_whole(encoding: str) -> None:
    with pytest.raises(UndecodableError):
        decode_text("credit_code,name\nX,abc\n".encode(encoding))
