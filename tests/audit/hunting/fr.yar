// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule fr_tres_secret_utf8
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "TRÈS SECRET"
    condition:
        any of them
}

rule fr_diffusion_restreinte_wide
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "Diffusion Restreinte" wide nocase
    condition:
        any of them
}

rule fr_secret_defense_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /SECRET[ _]D(E|\xC3\x89)FENSE/
    condition:
        any of them
}

