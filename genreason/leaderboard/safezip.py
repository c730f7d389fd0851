"""Read a zip that may be hostile: check every header, then every byte, before anything is used.

:class:`SafeZip` refuses, with one reason each, before extracting anything:
member names that climb out (``..``), are absolute, use backslashes or are
directories; symlinks and other non-regular files (zip external attributes);
duplicate names (also up to case); encrypted members and compression methods
other than stored and deflate; too many members; members or totals over the
size limits; and compression ratios no honest bundle has (zip bombs). Headers
can lie, so it then decompresses every member once, counting bytes with a hard
cap independent of the declared size, and refuses a member that yields more
(or fewer) bytes than it declares or fails its CRC. Only then may
:meth:`SafeZip.read` and :meth:`SafeZip.extract` be used, and they stream
through the same capped reader into files the caller names.
"""

from __future__ import annotations

import copy
import hashlib
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Self

from genreason.errors import BadInput, GenreasonError

_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ZipLimits:
    """What a bundle may hold. Defaults leave room for big honest runs and none for bombs.

    Attributes:
        max_members: Members in the archive.
        max_member_bytes: Uncompressed size of one member.
        max_total_bytes: Uncompressed size of all members together.
        max_ratio: Uncompressed / compressed size, of one member and of the whole archive.
        ratio_floor: Members (and archives) below this uncompressed size skip the ratio check:
            small JSON legitimately compresses very well.
    """

    max_members: int = 100_000
    max_member_bytes: int = 1 << 30
    max_total_bytes: int = 64 << 30
    max_ratio: float = 100.0
    ratio_floor: int = 1 << 20


class UnsafeArchive(GenreasonError):
    """The archive breaks a safety rule: it is refused before anything is extracted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SafeZip:
    """A checked, fully scanned zip archive.

    Attributes:
        names: Member names in archive order.
        sizes: Member name -> bytes it decompressed to.
        sha256: Member name -> SHA-256 of its decompressed bytes.

    Raises:
        BadInput: Not a zip file at all, or unreadable (the caller's exit code 2).
        UnsafeArchive: A safety rule is broken (the bundle is invalid).
    """

    def __init__(self, path: str | Path, limits: ZipLimits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits = limits or ZipLimits()
        if not self.path.is_file():
            raise BadInput(self.path, "bundle not found")
        declared = declared_members(self.path)
        if declared is not None and declared > limits.max_members:  # before zipfile builds one object per entry
            raise UnsafeArchive(f"too many members: {declared} (at most {limits.max_members})")
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise BadInput(self.path, f"is not a readable zip file ({exc})") from None
        try:
            self._infos = check_headers(self._zip.infolist(), self.path.stat().st_size, limits)
            self.names = [info.filename for info in self._infos]
            self._by_name = {info.filename: info for info in self._infos}
            self.sizes: dict[str, int] = {}
            self.sha256: dict[str, str] = {}
            for info in self._infos:  # every byte, before the caller uses any
                digest = hashlib.sha256()
                for chunk in self._chunks(info):
                    digest.update(chunk)
                    self.sizes[info.filename] = self.sizes.get(info.filename, 0) + len(chunk)
                self.sizes.setdefault(info.filename, 0)
                self.sha256[info.filename] = digest.hexdigest()
        except BaseException:
            self._zip.close()
            raise

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, name: str) -> bytes:
        """A member's bytes (for small members: the JSON files)."""
        return b"".join(self._chunks(self._info(name)))

    def extract(self, name: str, dest: Path) -> str:
        """Stream a member into ``dest`` (a path the caller chose, never the member's name); return its SHA-256."""
        digest = hashlib.sha256()
        with open(dest, "wb") as out:
            for chunk in self._chunks(self._info(name)):
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest()

    def _info(self, name: str) -> zipfile.ZipInfo:
        return self._by_name[name]

    def _chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """Decompress a member, counting bytes with a cap that does not trust its header."""
        # zipfile stops at the declared size; lift that to the hard cap + 1 so that
        # a member whose header under-declares its size is seen yielding more.
        opened = copy.copy(info)
        opened.file_size = self.limits.max_member_bytes + 1
        count = 0
        try:
            with self._zip.open(opened) as stream:
                for chunk in _read_chunks(stream):
                    count += len(chunk)
                    if count > info.file_size:
                        raise UnsafeArchive(f"member {info.filename!r} decompresses to more than the "
                                            f"{info.file_size} bytes its header declares (a zip bomb?)")
                    yield chunk
        except zipfile.BadZipFile as exc:
            raise UnsafeArchive(f"member {info.filename!r} is corrupt or forged: {exc}") from None
        except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise UnsafeArchive(f"member {info.filename!r} cannot be read: {exc}") from None
        if count != info.file_size:
            raise UnsafeArchive(f"member {info.filename!r} holds {count} bytes but its header declares "
                                f"{info.file_size}")


def _read_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def declared_members(path: Path) -> int | None:
    """The member count the end-of-central-directory record declares (zip64 too), or None if not found."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - (1 << 16) - 22))  # the record and its comment (at most 64 KiB)
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        total = int.from_bytes(tail[at + 10: at + 12], "little")
        locator = at - 20
        if total != 0xFFFF or locator < 0 or tail[locator: locator + 4] != b"PK\x06\x07":
            return total
        fh.seek(int.from_bytes(tail[locator + 8: locator + 16], "little"))
        record = fh.read(40)  # the zip64 end record: its total count is at offset 32
        if len(record) < 40 or record[:4] != b"PK\x06\x06":
            return None
        return int.from_bytes(record[32:40], "little")


def check_headers(infos: list[zipfile.ZipInfo], archive_bytes: int, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """Every rule that the central directory alone can break, checked before any member is read.

    Raises:
        UnsafeArchive: The first rule broken, naming the member.
    """
    if len(infos) > limits.max_members:
        raise UnsafeArchive(f"too many members: {len(infos)} (at most {limits.max_members})")
    seen: set[str] = set()
    total = compressed = 0
    for info in infos:
        name = info.orig_filename
        problem = name_problem(name)
        if problem:
            raise UnsafeArchive(f"member {name!r}: {problem}")
        if name != info.filename:
            raise UnsafeArchive(f"member {name!r}: its name changes when read ({info.filename!r})")
        if name in seen or name.casefold() in seen:
            raise UnsafeArchive(f"member {name!r} appears twice")
        seen.update((name, name.casefold()))
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchive(f"member {name!r} is a symbolic link")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise UnsafeArchive(f"member {name!r} is not a regular file (mode {oct(mode)})")
        if info.flag_bits & 0x1:
            raise UnsafeArchive(f"member {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeArchive(f"member {name!r} uses compression method {info.compress_type} "
                                "(only stored and deflate are accepted)")
        if info.file_size > limits.max_member_bytes:
            raise UnsafeArchive(f"member {name!r} is too large: {info.file_size} bytes "
                                f"(at most {limits.max_member_bytes})")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise UnsafeArchive(f"member {name!r} is stored but declares {info.compress_size} bytes "
                                f"stored and {info.file_size} unpacked")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
            raise UnsafeArchive(f"member {name!r} expands {ratio:.0f} times ({info.compress_size} bytes to "
                                f"{info.file_size}; at most {limits.max_ratio:.0f}): a zip bomb?")
        total += info.file_size
        compressed += info.compress_size
    if compressed > archive_bytes:
        raise UnsafeArchive(f"the members declare {compressed} compressed bytes, more than the archive's "
                            f"{archive_bytes}")
    if total > limits.max_total_bytes:
        raise UnsafeArchive(f"the members unpack to {total} bytes (at most {limits.max_total_bytes})")
    if total > limits.ratio_floor and total > limits.max_ratio * archive_bytes:
        raise UnsafeArchive(f"the archive expands {total / max(archive_bytes, 1):.0f} times "
                            f"({archive_bytes} bytes to {total}; at most {limits.max_ratio:.0f}): a zip bomb?")
    return infos


def name_problem(name: str) -> str | None:
    """Why a member name is unsafe to have in a bundle, or None."""
    if not name:
        return "empty name"
    if "\\" in name or "\0" in name:
        return "backslash or NUL in the name"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "path traversal ('..')"
    if name.endswith("/"):
        return "a directory entry (bundles hold files only)"
    if any(part in ("", ".") for part in parts):
        return "empty or '.' path component"
    return None
