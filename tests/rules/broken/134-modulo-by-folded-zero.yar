// expect: 2:31: division by zero
rule a { condition: 1 % (2 - 2) == 1 }
