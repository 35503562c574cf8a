"""DOCX → Document, whatever a portal serves under a .docx name.

A Word package (zip) is read by parsers/extract/docx_package.py. An OLE file is either a
password-protected DOCX (MS-OFFCRYPTO keeps the package in an "EncryptedPackage" stream),
refused, or a legacy .doc, read by parsers/extract/doc.py (which sends a zip served as .doc to
docx_package in turn: neither reader imports the other).
"""
from __future__ import annotations

from parsers.extract.doc import OLE_MAGIC, extract_doc
from parsers.extract.docx_package import MAX_INPUT, read_docx
from parsers.model import Document, ParseError


def extract_docx(data: bytes, url: str) -> Document:
    if data[:8] == OLE_MAGIC and len(data) <= MAX_INPUT:  # an oversized file: read_docx refuses it
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ParseError("encrypted DOCX (password protected)")
        return extract_doc(data, url)
    return read_docx(data, url)
