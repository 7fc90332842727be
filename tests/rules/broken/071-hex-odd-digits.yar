// expect: 2:32: invalid hex string "$a": uneven number of digits
rule a { strings: $a = { 01 02 3 } condition: $a }
