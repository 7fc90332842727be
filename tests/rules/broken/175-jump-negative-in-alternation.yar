// expect: 2:55: invalid negative jump length
rule test { strings: $a = { 61 ( 62 | 63 [1-2147483648] 64 ) 62 } condition: $a }
