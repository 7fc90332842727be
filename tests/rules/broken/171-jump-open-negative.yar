// expect: 2:44: invalid negative jump length
rule test { strings: $a = { 61 [2147483648-] 62 } condition: $a }
