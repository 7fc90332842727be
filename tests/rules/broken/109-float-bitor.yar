// expect: 2:29: wrong type "float" for | operator
rule a { condition: (1.0 | 1) == 1 }
