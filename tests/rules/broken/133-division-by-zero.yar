// expect: 2:25: division by zero
rule a { condition: 1 \ 0 == 1 }
