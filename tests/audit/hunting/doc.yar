// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule doc_pdf_codename
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "Operation Glasshouse"
    condition:
        uint32(0) == 0x46445025 and $a
}

rule doc_ooxml_budget
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $z = "word/document.xml"
        $a = "quarterly budget" nocase
    condition:
        uint32(0) == 0x04034B50 and $z and $a
}

rule doc_ole2_negotiation
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $ole = { D0 CF 11 E0 A1 B1 1A E1 }
        $a = "negotiation position" nocase wide ascii
    condition:
        $ole at 0 and $a
}

rule doc_rtf_minutes
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "minutes of the board meeting" nocase
    condition:
        uint32(0) == 0x74725C7B and $a
}

rule doc_file_name_docx
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "merger" nocase
    condition:
        filename matches /\.docx?$/i and $a
}

rule doc_extension_pdf
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "acquisition" nocase
    condition:
        extension == "pdf" and $a
}

rule doc_odf_mimetype
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $m = "mimetypeapplication/vnd.oasis.opendocument.text"
        $a = "Project Aurora"
    condition:
        $m and $a
}

