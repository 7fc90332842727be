// expect: 2:45: invalid negative jump length
rule test { strings: $a = { 61 [0-2147483648] 62 } condition: $a }
