rule doc { strings: $m = { D0 CF 11 E0 A1 B1 1A E1 } $a = "negotiation" wide condition: $m at 0 and $a }
rule b64 { strings: $a = "VE9QIFNFQ1JFVA==" $b = "544f5020534543524554" condition: any of them }
rule mz { strings: $a = "secret_key" condition: uint16(0) == 0x5A4D and $a }
