// expect: 2:30: invalid modifier combination: base64 xor
rule a { strings: $a = "abc" xor base64 condition: $a }
