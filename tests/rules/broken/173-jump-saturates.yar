// expect: 2:55: invalid negative jump length
rule test { strings: $a = { 61 [0-99999999999999999999] 62 } condition: $a }
