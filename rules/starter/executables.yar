/* executables.yar: executable files worth a second look, written by the vitrine team. */
rule UPX_Packed_Windows_Executable : executable info
{
    meta:
        author = "vitrine team"
        description = "A Windows executable packed with UPX (section names UPX0 and UPX1); packing hides code from static review, common in malware but also used by legitimate tools"
    strings:
        $upx0 = "UPX0" ascii
        $upx1 = "UPX1" ascii
    condition:
        uint16(0) == 0x5A4D and uint32(uint32(0x3C)) == 0x00004550 and
        $upx0 in (0 .. 0x400) and $upx1 in (0 .. 0x400)
}
