// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule eu_restreint_ue_wide
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "RESTREINT UE" wide
    condition:
        any of them
}

rule eu_restricted_base64
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "EU RESTRICTED" base64
    condition:
        any of them
}

rule eu_restricted_base64wide
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "EU RESTRICTED" base64wide
    condition:
        any of them
}

