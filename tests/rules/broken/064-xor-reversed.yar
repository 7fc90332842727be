// expect: 2:34: xor lower bound exceeds upper bound
rule a { strings: $a = "abc" xor(9-3) condition: $a }
