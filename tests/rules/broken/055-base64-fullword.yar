// expect: 2:30: invalid modifier combination: base64 fullword
rule a { strings: $a = "abc" base64 fullword condition: $a }
