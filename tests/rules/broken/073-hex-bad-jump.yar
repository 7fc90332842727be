// expect: 2:33: invalid hex string "$a"
rule a { strings: $a = { 01 [5-2] 02 } condition: $a }
