// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule de_vs_nfd_utf8
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "VS-NUR FÜR DEN DIENSTGEBRAUCH" nocase
    condition:
        any of them
}

rule de_nfd_latin1_hex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 4E 55 52 20 46 DC 52 20 44 45 4E 20 44 49 45 4E 53 54 47 45 42 52 41 55 43 48 }
    condition:
        any of them
}

rule de_streng_geheim_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /streng\s+geheim/i
    condition:
        any of them
}

rule de_vs_vertraulich_wide
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "VS-Vertraulich" ascii wide nocase
    condition:
        any of them
}

