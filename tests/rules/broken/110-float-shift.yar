// expect: 2:26: wrong type "float" for << operator
rule a { condition: (1.0 << 1) == 1 }
