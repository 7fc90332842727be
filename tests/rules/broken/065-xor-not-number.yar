// expect: 2:34: expecting integer number
rule a { strings: $a = "abc" xor("k") condition: $a }
