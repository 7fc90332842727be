// expect: 2:30: invalid modifier combination: base64 nocase
rule a { strings: $a = "abc" base64 nocase condition: $a }
