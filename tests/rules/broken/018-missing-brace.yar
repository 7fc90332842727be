// expect: 2:8: expecting '{'
rule a condition: true }
