// expect: 2:37: expecting text string
rule a { strings: $a = "abc" base64(1) condition: $a }
