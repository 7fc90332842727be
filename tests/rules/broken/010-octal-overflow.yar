// expect: 2:21: integer overflow
rule a { condition: 0o7777777777777777777777 > 0 }
