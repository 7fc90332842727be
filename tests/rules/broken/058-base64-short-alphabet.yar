// expect: 2:37: length of base64 alphabet must be 64
rule a { strings: $a = "abc" base64("abc") condition: $a }
