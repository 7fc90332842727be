// expect: 2:21: expecting an expression
rule a { condition: }
