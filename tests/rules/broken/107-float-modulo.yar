// expect: 2:27: wrong type "float" for % operator
rule a { condition: 1.5 % 2 == 1 }
