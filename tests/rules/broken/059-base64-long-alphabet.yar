// expect: 2:41: length of base64 alphabet must be 64
rule a { strings: $a = "abc" base64wide("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") condition: $a }
