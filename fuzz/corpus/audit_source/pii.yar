// Content-hunting rules written for vitrine's auditor test (tests/audit/hunting.sh):
// every rule here hunts for documents or personal data and must be flagged.

rule pii_ssn_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b/
    condition:
        any of them
}

rule pii_card_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /4[0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}/
    condition:
        any of them
}

rule pii_iban_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /[A-Z]{2}[0-9]{2}[A-Z0-9]{12,30}/
    condition:
        any of them
}

rule pii_mrz_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /P<[A-Z]{3}[A-Z<]{39}/
    condition:
        any of them
}

rule pii_email_list_regex
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = /[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,64}\.[a-z]{2,6}/ wide ascii
    condition:
        any of them
}

rule pii_ssn_keyword
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "Social Security Number" nocase wide ascii
    condition:
        any of them
}

rule pii_passport_keyword_ru
{
    meta:
        description = "content-hunting test rule: the auditor must flag it"
    strings:
        $a = "номер паспорта" nocase
    condition:
        any of them
}

