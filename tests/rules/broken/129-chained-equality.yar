// expect: 2:28: unexpected '=='
rule a { condition: 1 == 2 == 3 }
