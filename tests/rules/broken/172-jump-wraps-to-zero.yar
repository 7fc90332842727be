// expect: 2:43: invalid jump length
rule test { strings: $a = { 61 [4294967296] 62 } condition: $a }
