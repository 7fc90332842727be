// expect: 2:26: invalid hex string "$a"
rule a { strings: $a = { [2] 01 02 } condition: $a }
