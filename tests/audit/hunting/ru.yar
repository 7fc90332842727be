// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule ru_sov_sekretno_utf8
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "СОВЕРШЕННО СЕКРЕТНО"
    condition:
        any of them
}

rule ru_sekretno_cp1251_alone
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { D1 C5 CA D0 C5 D2 CD CE }
    condition:
        any of them
}

rule ru_dlya_sluzhebnogo_koi8r
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { E4 CC D1 20 D3 CC D5 D6 C5 C2 CE CF C7 CF 20 D0 CF CC D8 DA CF D7 C1 CE C9 D1 }
    condition:
        any of them
}

rule ru_dsp_utf16_alone
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { 14 04 21 04 1F 04 }
    condition:
        any of them
}

rule ru_osoboy_vazhnosti_koi8r_upper
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = { EF F3 EF E2 EF EA 20 F7 E1 F6 EE EF F3 F4 E9 }
    condition:
        any of them
}

