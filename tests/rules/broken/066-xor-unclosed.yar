// expect: 2:38: expecting ')'
rule a { strings: $a = "abc" xor(1-2 condition: $a }
