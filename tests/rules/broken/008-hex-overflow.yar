// expect: 2:21: integer overflow
rule a { condition: 0x8000000000000000 > 0 }
