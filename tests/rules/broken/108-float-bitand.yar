// expect: 2:29: wrong type "float" for ^ operator
rule a { condition: (1.5 & 1) == 1 }
