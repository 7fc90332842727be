// expect: 2:30: wrong type "float" for << operator
rule a { condition: (1.0 << 1) == 1 }
