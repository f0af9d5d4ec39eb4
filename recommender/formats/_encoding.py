"""Messages for text that is not UTF-8: where the first bad byte is, and what the file
probably is instead. Readers report; they never guess an encoding silently."""

from __future__ import annotations

BOM = b"\xef\xbb\xbf"


def not_utf8_message(data: bytes, start: int) -> str:
    """Describe the invalid byte at ``data[start]`` (``data`` being one line) with a hint.

    The hint names the likely encoding: UTF-16 when the data holds the byte-order
    mark or NUL bytes of UTF-16, Latin-1/Windows-1252 when the bytes decode as
    Windows-1252 (what spreadsheet programs save by default on Windows).
    """
    byte = data[start]
    return (f"not valid UTF-8 (byte 0x{byte:02X} at byte {start + 1} of the line); "
            f"{encoding_hint(data)}")


def encoding_hint(data: bytes) -> str:
    """A short guess at what ``data`` is, ending with the fix: re-save as UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return "looks like UTF-16; re-save the file as UTF-8"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "re-save the file as UTF-8"
    return "looks like Latin-1/Windows-1252; re-save the file as UTF-8"
