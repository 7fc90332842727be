// expect: 2:26: expecting '}'
rule a { condition: true condition: true }
