// expect: 2:26: wrong type "float" for & operator
rule a { condition: (1.5 & 1) == 1 }
