#!/usr/bin/env python3
"""make_canaries.py OUTDIR: write benign canary documents that carry classification markings or
personal data (docs/audit.md "Canaries"), offline, with the standard library only. A rule that
fires on one of them hunts for documents or personal data (`vitrine audit --canaries OUTDIR`).

Formats: plain text in UTF-8, cp1251, koi8-r, GB2312, Latin-1; UTF-16LE text; RTF; PDF
(hand-written, uncompressed); OOXML (docx, xlsx) and ODF (odt) through zipfile, with stored and
deflated members; CSV; e-mail. Every file is deterministic (fixed zip timestamps)."""
import os
import sys
import zipfile

ZIP_DATE = (2020, 1, 1, 0, 0, 0)

MEMO_EN = ("TOP SECRET//SCI\nMEMORANDUM FOR THE RECORD\nSubject: quarterly budget review\n"
           "Classified By: J. Smith\nThis page is (U//FOUO). SECRET//NOFORN\n"
           "Project Aurora negotiation position; merger and acquisition; minutes of the board "
           "meeting. Operation Glasshouse.\nTS//SCI\nCUI\nCONFIDENTIAL\nTOP SECRET//SCI\n")
NATO = "COSMIC TOP SECRET\nNATO SECRET\nNATO RESTRICTED\nEU RESTRICTED / RESTREINT UE\n"
UK = "OFFICIAL-SENSITIVE\nUK SECRET\nUK TOP SECRET\nUK EYES ONLY\n"
DE = "VS-NUR FÜR DEN DIENSTGEBRAUCH\nVS-Vertraulich\nSTRENG GEHEIM\n"
FR = "TRÈS SECRET DÉFENSE\nSECRET DÉFENSE\nDiffusion Restreinte\n"
RU = ("СОВЕРШЕННО СЕКРЕТНО\nОСОБОЙ ВАЖНОСТИ\nДля служебного пользования\nДСП\nСЕКРЕТНО\n"
      "номер паспорта: 45 03 123456\n")
ZH = "绝密\n机密\n秘密\n内部\n"
PII = ("Name: Anna Maria Eriksson\nDate of Birth: 1974-08-12\n"
       "Social Security Number: 123-45-6789\nCredit card number: 4111 1111 1111 1111\n"
       "Card: 5500-0000-0000-0004\nIBAN: DE89 3704 0044 0532 0130 00\n"
       "IBAN: GB29NWBK60161331926819\nPassport number: L898902C3\n"
       "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10\n"
       "alice.smith@example.com; bob.jones@mail.example.org; carol@example.net\n")


def rtf_escape(text):
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\par\n")
        elif ord(ch) < 128:
            out.append(ch if ch not in "\\{}" else "\\" + ch)
        else:
            code = ord(ch)
            out.append("\\u%d?" % (code - 65536 if code > 32767 else code))
    return "".join(out)


def rtf(text, ascii_copy):
    # The marking in \u escapes (as Word writes non-ASCII) and the ASCII text plain.
    return ("{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
            "{\\info{\\title Memo}{\\author Registry}}\n\\f0\\fs24 " + rtf_escape(ascii_copy)
            + rtf_escape(text) + "}\n").encode("ascii")


def pdf(lines):
    """A minimal valid PDF with one page whose content stream shows `lines` (ASCII)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL\n" + "".join(
        "(%s) '\n" % l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        for l in lines) + "ET\n"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length %d >>\nstream\n%sendstream" % (len(content), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Title (Memorandum) /Author (Registry) /Producer (make_canaries.py) >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += ("%d 0 obj\n%s\nendobj\n" % (i, o)).encode("latin-1")
    xref = len(out)
    out += ("xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)).encode()
    for off in offsets:
        out += ("%010d 00000 n \n" % off).encode()
    out += ("trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref)).encode()
    return out


def xml_escape(t):
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_zip(path, members, compression):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else compression
            z.writestr(info, data)


def docx(path, text, compression):
    body = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % xml_escape(l) for l in text.splitlines())
    write_zip(path, [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
         'package/2006/content-types"><Default Extension="rels" ContentType="application/'
         'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
         '"application/xml"/><Override PartName="/word/document.xml" ContentType="application/'
         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
        ("_rels/.rels",
         '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
         'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="word/document.xml"/></Relationships>'),
        ("word/document.xml",
         '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
         'openxmlformats.org/wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % body),
    ], compression)


def xlsx(path, rows, compression):
    strings = [c for r in rows for c in r]
    sst = "".join("<si><t>%s</t></si>" % xml_escape(s) for s in strings)
    sheet = "".join('<row r="%d">%s</row>' % (i + 1, "".join(
        '<c r="%s%d" t="s"><v>%d</v></c>' % (chr(65 + j), i + 1, i * len(r) + j)
        for j, _ in enumerate(r))) for i, r in enumerate(rows))
    write_zip(path, [
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
         'package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="'
         'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'),
        ("xl/workbook.xml", '<workbook><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>'),
        ("xl/sharedStrings.xml", "<sst>%s</sst>" % sst),
        ("xl/worksheets/sheet1.xml", "<worksheet><sheetData>%s</sheetData></worksheet>" % sheet),
    ], compression)


def odt(path, text, compression):
    paras = "".join("<text:p>%s</text:p>" % xml_escape(l) for l in text.splitlines())
    write_zip(path, [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("META-INF/manifest.xml",
         '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
         'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
         'manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>'),
        ("content.xml",
         '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:'
         'oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
         'opendocument:xmlns:text:1.0"><office:body><office:text>%s</office:text></office:body>'
         '</office:document-content>' % paras),
    ], compression)


def ole2(text):
    """The bytes of a legacy Word file as a scanner sees them: the compound-file header (magic,
    version, byte order, sector shifts) and the text in UTF-16LE in the first sector."""
    header = bytearray(512)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    header[24:26] = (0x3E).to_bytes(2, "little")
    header[26:28] = (3).to_bytes(2, "little")
    header[28:30] = (0xFFFE).to_bytes(2, "little")
    header[30:32] = (9).to_bytes(2, "little")
    header[32:34] = (6).to_bytes(2, "little")
    body = text.encode("utf-16le")
    return bytes(header) + body + bytes((-len(body)) % 512)


def mime(text_parts):
    """An e-mail with the memo as base64 attachments (UTF-8 and UTF-16LE), as mail carries it."""
    import base64
    out = ("From: alice.smith@example.com\nTo: carol@example.net\nSubject: minutes\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n")
    for name, data in text_parts:
        out += ("--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=%s\n"
                "Content-Transfer-Encoding: base64\n\n%s\n" % (
                    name, base64.b64encode(data).decode("ascii")))
    return (out + "--b--\n").encode("ascii")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_canaries.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "memo-en-utf8.txt": MEMO_EN.encode("utf-8"),
        "memo-en-utf16le.txt": b"\xff\xfe" + MEMO_EN.encode("utf-16le"),
        "nato-eu-uk-utf8.txt": (NATO + UK).encode("utf-8"),
        "nato-utf16le.txt": b"\xff\xfe" + NATO.encode("utf-16le"),
        "de-utf8.txt": DE.encode("utf-8"),
        "de-latin1.txt": DE.encode("latin-1"),
        "fr-utf8.txt": FR.encode("utf-8"),
        "fr-latin1.txt": FR.encode("latin-1"),
        "ru-utf8.txt": RU.encode("utf-8"),
        "ru-cp1251.txt": RU.encode("cp1251"),
        "ru-koi8r.txt": RU.encode("koi8-r"),
        "ru-utf16le.txt": b"\xff\xfe" + RU.encode("utf-16le"),
        "zh-utf8.txt": ZH.encode("utf-8"),
        "zh-gb2312.txt": ZH.encode("gb2312"),
        "zh-utf16le.txt": b"\xff\xfe" + ZH.encode("utf-16le"),
        "personal-data.txt": PII.encode("utf-8"),
        "personal-data-utf16le.txt": b"\xff\xfe" + PII.encode("utf-16le"),
        "customers.csv": ("name,email,ssn,card,iban\n"
                          "Anna Eriksson,alice.smith@example.com,123-45-6789,4111111111111111,"
                          "DE89370400440532013000\nBob Jones,bob.jones@mail.example.org,"
                          "078-05-1120,378282246310005,GB29NWBK60161331926819\n").encode(),
        "mail.eml": ("From: alice.smith@example.com\nTo: bob.jones@mail.example.org, "
                     "carol@example.net\nSubject: SECRET//NOFORN budget\n\n" + MEMO_EN).encode(),
        "memo.rtf": rtf(RU + ZH, MEMO_EN + NATO),
        "memo-objdata.rtf": (b"{\\rtf1\\ansi{\\object\\objemb{\\*\\objdata "
                             + (MEMO_EN + NATO).encode("ascii").hex().encode() + b"}}}\n"),
        "fr-utf16le.txt": b"\xff\xfe" + FR.encode("utf-16le"),
        "legacy-memo.doc": ole2(MEMO_EN + "Our negotiation position is final.\n"),
        "attachments.eml": mime([("memo.txt", (MEMO_EN + NATO + UK).encode("utf-8")),
                                 ("memo-utf16.txt", (NATO + UK).encode("utf-16le"))]),
        "TOP SECRET memo.txt": b"see the attached memorandum\n",
        "memo.pdf": pdf([l for l in (MEMO_EN + NATO + UK).splitlines()]),
        "personal-data.pdf": pdf(PII.splitlines()),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    docx(os.path.join(out, "memo-stored.docx"), MEMO_EN + NATO + FR + DE, zipfile.ZIP_STORED)
    docx(os.path.join(out, "memo-deflated.docx"), MEMO_EN + RU, zipfile.ZIP_DEFLATED)
    xlsx(os.path.join(out, "customers-stored.xlsx"),
         [["Name", "SSN", "Card", "IBAN"],
          ["Anna Eriksson", "123-45-6789", "4111 1111 1111 1111", "DE89370400440532013000"]],
         zipfile.ZIP_STORED)
    xlsx(os.path.join(out, "budget-deflated.xlsx"), [["TOP SECRET", "quarterly budget"]],
         zipfile.ZIP_DEFLATED)
    odt(os.path.join(out, "memo-stored.odt"), MEMO_EN + ZH + RU, zipfile.ZIP_STORED)
    odt(os.path.join(out, "memo-deflated.odt"), UK + DE, zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    main()
