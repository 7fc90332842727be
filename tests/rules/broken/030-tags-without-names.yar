// expect: 2:10: expecting identifier
rule a : { condition: true }
