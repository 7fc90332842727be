// expect: 2:30: invalid modifier combination: base64wide fullword
rule a { strings: $a = "abc" fullword base64wide condition: $a }
