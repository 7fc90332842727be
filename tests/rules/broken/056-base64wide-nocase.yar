// expect: 2:30: invalid modifier combination: base64wide nocase
rule a { strings: $a = "abc" base64wide nocase condition: $a }
