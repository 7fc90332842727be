// expect: 2:25: wrong type "float" for % operator
rule a { condition: 1.5 % 2 == 1 }
