rule g1 { strings: $a = "gated1 alpha" $b = { 4D 90 5A } condition: uint16(0) == 0x5a4d and any of them }
rule g2 { strings: $a = "gated2 alpha" condition: uint16be(0) == 0x4d5a and filesize < 1MB and $a }
rule e1 { strings: $x = "escape-longest-string" $y = /second/ $z = { 41 ?? 42 } condition: (uint16(0) == 0x5a4d and $x) or all of them }
rule e2 { strings: $p = "plain" $q = "other" condition: uint16(0) == 0x5a4d or $p at 0 or any of ($q*) }
rule e3 { strings: $r = "r" condition: (uint16(0) == 0x5a4d and uint8(2) == 0x90) or (uint16(0) == 0x5a4d and $r) }
rule e4 { strings: $s = "s" condition: (uint16(0) == 0x5a4d or $s) and (uint16(0) == 0x457f or not $s) }
