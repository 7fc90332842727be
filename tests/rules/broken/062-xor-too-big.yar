// expect: 2:34: invalid xor range
rule a { strings: $a = "abc" xor(256) condition: $a }
