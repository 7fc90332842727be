// expect: 2:29: expecting ')'
rule a { condition: (1 == 1 }
