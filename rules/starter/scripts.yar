/* scripts.yar: script tricks seen in mail attachments and downloads, written by the vitrine team
 * as a small, readable starter set. Each rule says what it looks for and why; none looks at
 * documents' content or at personal data. */
rule PowerShell_Encoded_Command : script
{
    meta:
        author = "vitrine team"
        description = "PowerShell started with a base64-encoded command line, a common way to hide what a dropper runs"
    strings:
        $ps = "powershell" nocase ascii wide
        $enc = /\s-e(nc(odedcommand)?)?\s+[A-Za-z0-9+\/]{40,}={0,2}/ nocase ascii wide
    condition:
        $ps and $enc
}

rule Office_Macro_AutoRun_Shell : script
{
    meta:
        author = "vitrine team"
        description = "VBA macro that runs automatically when a document opens and starts a shell command"
    strings:
        $auto1 = "AutoOpen" nocase
        $auto2 = "Document_Open" nocase
        $auto3 = "Workbook_Open" nocase
        $shell1 = "WScript.Shell" nocase
        $shell2 = /\bShell\s*\(/ nocase
    condition:
        any of ($auto*) and any of ($shell*)
}
