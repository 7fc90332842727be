// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule us_top_secret_wide
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "TOP SECRET" nocase ascii wide
    condition:
        any of them
}

rule us_banner_noforn
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "SECRET//NOFORN"
    condition:
        any of them
}

rule us_ts_sci_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /TS\/\/SCI/
    condition:
        any of them
}

rule us_fouo_portion
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "(U//FOUO)" ascii wide
    condition:
        any of them
}

rule us_cui_alone
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "CUI" fullword
    condition:
        any of them
}

rule us_confidential_alone_nocase
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "confidential" nocase fullword
    condition:
        any of them
}

rule us_classified_by
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "Classified By:" nocase
    condition:
        any of them
}

rule us_top_secret_wide_hex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 54 00 4F 00 50 00 20 00 53 00 45 00 43 00 52 00 45 00 54 00 }
    condition:
        any of them
}

rule us_top_secret_xor_hex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 0E 15 0A 7A 09 1F 19 08 1F 0E 75 75 09 19 13 }
    condition:
        any of them
}

rule us_top_secret_ascii_hex_text
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "544f5020534543524554" nocase
    condition:
        any of them
}

rule us_marking_in_file_name
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    condition:
        filename icontains "TOP SECRET"
}

