"""Inflating a zip by the bytes it really holds, never by what it declares.

A zip's local and central headers say how large each member is once
inflated; an attacker writes what he likes there. zipfile's `read()` of a
whole member asks zlib for everything at once, so one member that declares a
kilobyte inflates to gigabytes before the CRC check notices. Here members are
read in small chunks, and the bytes that actually came out are counted
against one cap for the whole document.
"""

from __future__ import annotations

import zipfile
from io import BytesIO

CHUNK = 64 * 1024
# zlib's inflate is asked for at most CHUNK bytes at a time; bzip2 and LZMA
# members are inflated by zipfile without such a bound, and no Office
# program writes them.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class TooMuchData(Exception):
    """The members inflate to more than the cap; args: (bytes seen, cap)."""


class UnsupportedMember(Exception):
    """A member compressed with a method we do not inflate."""


def inflate_members(zf: zipfile.ZipFile, cap: int) -> dict[str, bytes]:
    """Every file member's real content; TooMuchData past `cap` bytes in all.

    zipfile's BadZipFile (a wrong CRC, a broken stream) passes through.
    """
    total = 0
    members: dict[str, bytes] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        if info.compress_type not in _METHODS:
            raise UnsupportedMember(info.compress_type)
        parts = []
        with zf.open(info) as member:
            while chunk := member.read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise TooMuchData(total, cap)
                parts.append(chunk)
        members[info.filename] = b"".join(parts)
    return members


def stored_zip(members: dict[str, bytes]) -> bytes:
    """A zip of `members` without compression: its sizes are the real ones."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()
