// expect: 2:36: invalid hex string "$a"
rule a { strings: $a = { 01 ( 02 | ) 03 } condition: $a }
