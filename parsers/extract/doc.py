"""Legacy Word .doc → Document: LibreOffice headless converts to .docx, read by
parsers/extract/docx_package.py; antiword text is the fallback (tables come out as
"|cell|cell|" lines, left in the text for the text-table reader).

Each conversion runs `soffice` with a private user profile (-env:UserInstallation), so calls
in parallel (threads or processes) never share one; a finished profile is kept in a per-process
pool and reused by the next call, which saves LibreOffice's first-start set-up. The process
group is killed on timeout. Files that are not OLE .doc at all (a DOCX, RTF or HTML served as
.doc, which portals do) go the right way: a zip to docx_package, anything else to LibreOffice,
which reads RTF and HTML too.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Optional

from parsers.extract.docx_package import read_docx
from parsers.extract.grid import clean_text_block, title_hint
from parsers.model import Document, ParseError

TIMEOUT = 60  # seconds per conversion
MAX_INPUT = 64 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_pool_lock = threading.Lock()
_idle_profiles: list[str] = []
_all_profiles: list[str] = []


def _cleanup_profiles() -> None:
    for d in _all_profiles:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_profiles)


def _take_profile() -> str:
    with _pool_lock:
        if _idle_profiles:
            return _idle_profiles.pop()
        d = tempfile.mkdtemp(prefix="nianbao-lo-profile-")
        _all_profiles.append(d)
        return d


def _give_back(profile: str, healthy: bool) -> None:
    with _pool_lock:
        if healthy:
            _idle_profiles.append(profile)
            return
    shutil.rmtree(profile, ignore_errors=True)  # a killed soffice may leave a broken profile
    with _pool_lock:
        if profile in _all_profiles:
            _all_profiles.remove(profile)


def soffice_path() -> Optional[str]:
    return shutil.which("soffice") or shutil.which("libreoffice")


class _ConvertError(Exception):
    pass


def convert_with_soffice(data: bytes, src_ext: str = "doc", timeout: int = TIMEOUT) -> bytes:
    """Convert a word-processor file to DOCX bytes with LibreOffice headless."""
    exe = soffice_path()
    if not exe:
        raise _ConvertError("LibreOffice (soffice) not installed")
    profile = _take_profile()
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as tmp:
        src = Path(tmp) / f"input.{src_ext}"
        src.write_bytes(data)
        outdir = Path(tmp) / "out"
        cmd = [exe, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--invisible",
               "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(outdir), str(src)]
        env = {**os.environ, "HOME": tmp, "SAL_USE_VCLPLUGIN": "svp"}
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as e:
            _give_back(profile, False)
            raise _ConvertError(f"cannot start LibreOffice: {e}") from None
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            _give_back(profile, False)
            raise _ConvertError(f"LibreOffice timed out after {timeout} s") from None
        except BaseException:
            _kill_group(proc)
            _give_back(profile, False)
            raise
        result = outdir / "input.docx"
        if proc.returncode == 0 and result.is_file() and result.stat().st_size > 0:
            _give_back(profile, True)
            return result.read_bytes()
        _give_back(profile, proc.returncode == 0)
        detail = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
        detail = [d for d in detail if d.strip() and "javaldx" not in d]
        raise _ConvertError("LibreOffice could not convert it"
                            + (f" ({detail[-1][:120]})" if detail else f" (exit {proc.returncode})"))


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=10)
    except Exception:
        pass


def antiword_text(data: bytes, timeout: int = TIMEOUT) -> str:
    exe = shutil.which("antiword")
    if not exe:
        raise _ConvertError("antiword not installed")
    with tempfile.TemporaryDirectory(prefix="nianbao-aw-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        try:
            proc = subprocess.run([exe, "-m", "UTF-8.txt", "-w", "0", str(src)],
                                  capture_output=True, timeout=timeout,
                                  env={**os.environ, "HOME": tmp}, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise _ConvertError(f"antiword timed out after {timeout} s") from None
        text = proc.stdout.decode("utf-8", "replace")
        if proc.returncode != 0 or not text.strip():
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            msg = err[-1] if err else f"exit {proc.returncode}"
            # antiword names the input file in its messages: keep the reason only
            msg = re.sub(r"^.*?input\.doc'?\s*", "", msg).strip(" :") or msg
            raise _ConvertError(f"antiword: {msg[:120]}")
        return text


def _word_fib_flags(data: bytes) -> Optional[int]:
    """The 16-bit flags word of the Word FIB (offset 0x0A of the WordDocument stream), read
    with a minimal Compound File reader; None when the file is not laid out as expected."""
    import struct

    if len(data) < 512 or data[:8] != OLE_MAGIC:
        return None
    ssz = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    if ssz not in (512, 4096):
        return None
    difat = [x for x in struct.unpack_from("<109I", data, 0x4C) if x < 0xFFFFFFFA]

    def sector(n: int) -> bytes:
        off = (n + 1) * ssz
        return data[off:off + ssz]

    fat: list[int] = []
    for s in difat:
        chunk = sector(s)
        fat.extend(struct.unpack_from(f"<{len(chunk) // 4}I", chunk))
    dir_sector = struct.unpack_from("<I", data, 0x30)[0]
    seen = 0
    while dir_sector < 0xFFFFFFFA and seen < 1000:
        chunk = sector(dir_sector)
        for k in range(0, len(chunk) - 127, 128):
            entry = chunk[k:k + 128]
            name_len = struct.unpack_from("<H", entry, 0x40)[0]
            name = entry[:max(name_len - 2, 0)].decode("utf-16-le", "replace")
            if name == "WordDocument" and entry[0x42] == 2:
                start = struct.unpack_from("<I", entry, 0x74)[0]
                fib = sector(start)[:12]
                if len(fib) == 12 and fib[:2] == b"\xec\xa5":
                    return struct.unpack_from("<H", fib, 0x0A)[0]
                return None
        seen += 1
        dir_sector = fat[dir_sector] if dir_sector < len(fat) else 0xFFFFFFFE
    return None


def _is_encrypted_doc(data: bytes) -> bool:
    """fEncrypted in the Word 97-2003 FIB, or an encrypted OOXML package in an OLE file."""
    try:
        flags = _word_fib_flags(data)
    except Exception:
        flags = None
    if flags is not None:
        return bool(flags & 0x0100)
    return "EncryptedPackage".encode("utf-16-le") in data


def extract_doc(data: bytes, url: str) -> Document:
    if not data:
        raise ParseError("corrupt DOC: empty file")
    if len(data) > MAX_INPUT:
        raise ParseError(f"refused: DOC is {len(data) // (1024 * 1024)} MB "
                         f"(limit {MAX_INPUT // (1024 * 1024)} MB)")
    if data[:4] == b"PK\x03\x04":  # a DOCX under a .doc name
        return read_docx(data, url)
    ole = data[:8] == OLE_MAGIC
    if ole and _is_encrypted_doc(data):
        raise ParseError("encrypted DOC (password protected)")
    src_ext = "doc"
    if data.lstrip()[:5] == b"{\\rtf":
        src_ext = "rtf"
    elif not ole and re.search(rb"<html|<!doctype html|<body|mime-version", data[:2048], re.I):
        src_ext = "htm"  # Word "save as web page" or MHT served as .doc
    elif not ole:
        raise ParseError("corrupt DOC: not a Word file (no OLE header)")
    errors: list[str] = []
    try:
        docx_bytes = convert_with_soffice(data, src_ext)
    except _ConvertError as e:
        errors.append(str(e))
    else:
        try:
            d = read_docx(docx_bytes, url)
        except ParseError as e:
            errors.append(f"converted DOCX unreadable: {e}")
        else:
            d.format = "doc"
            return d
    if ole:
        try:
            text = clean_text_block(antiword_text(data))
        except _ConvertError as e:
            errors.append(str(e))
        else:
            return Document(url=url, format="doc", text=text, tables=[], meta={},
                            raw_text=text, title_hint=title_hint(text))
    raise ParseError("cannot read DOC: " + "; ".join(errors))
