// expect: 2:30: invalid modifier combination: xor nocase
rule a { strings: $a = "abc" xor nocase condition: $a }
