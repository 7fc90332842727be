// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule zh_juemi_utf8
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "绝密"
    condition:
        any of them
}

rule zh_jimi_gb2312_alone
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { BB FA C3 DC }
    condition:
        any of them
}

rule zh_neibu_utf16_alone
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 85 51 E8 90 }
    condition:
        any of them
}

rule zh_mimi_wide_text
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { D8 79 C6 5B }
    condition:
        any of them
}

