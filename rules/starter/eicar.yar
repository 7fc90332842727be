/* eicar.yar: the EICAR anti-virus test file. It is not malware: it is the string every scanner
 * agrees to detect so that people can check that their scanner works. A file matches when it
 * starts with the 68-byte EICAR string and is shorter than 128 bytes (the standard's rule). */
rule EICAR_Test_File : test
{
    meta:
        author = "vitrine team"
        description = "The EICAR anti-virus test file, not malware"
        reference = "https://www.eicar.org/download-anti-malware-testfile/"
    strings:
        $eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    condition:
        $eicar at 0 and filesize < 128
}
