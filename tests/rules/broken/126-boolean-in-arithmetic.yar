// expect: 2:30: unexpected '+'
rule a { condition: (1 == 1) + 2 }
