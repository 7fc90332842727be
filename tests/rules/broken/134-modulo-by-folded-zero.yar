// expect: 2:33: division by zero
rule a { condition: 1 % (2 - 2) == 1 }
