// expect: 2:34: upper bound for xor range exceeded (max: 255)
rule a { strings: $a = "abc" xor(1-300) condition: $a }
