// expect: 2:21: wrong type "string" for - operator
rule a { condition: -"a" == 1 }
