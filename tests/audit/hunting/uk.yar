// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule uk_official_sensitive
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "OFFICIAL-SENSITIVE" nocase
    condition:
        any of them
}

rule uk_secret_hex_wildcard
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 55 4B 20 53 45 ?? 52 45 54 }
    condition:
        any of them
}

rule uk_top_secret_pre_encoded_base64
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "VUsgVE9QIFNFQ1JFVA=="
    condition:
        any of them
}

