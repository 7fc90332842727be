// expect: 2:27: division by zero
rule a { condition: 1 \ 0 == 1 }
