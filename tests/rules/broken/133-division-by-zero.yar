// expect: 2:23: division by zero
rule a { condition: 1 \ 0 == 1 }
