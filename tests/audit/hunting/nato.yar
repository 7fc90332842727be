// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule nato_cosmic_top_secret
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "COSMIC TOP SECRET" nocase
    condition:
        any of them
}

rule nato_secret_xor
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "NATO SECRET" xor
    condition:
        any of them
}

