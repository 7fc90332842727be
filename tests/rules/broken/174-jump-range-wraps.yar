// expect: 2:45: invalid jump range
rule test { strings: $a = { 61 [5-4294967297] 62 } condition: $a }
