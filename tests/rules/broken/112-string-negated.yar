// expect: 2:22: wrong type "string" for - operator
rule a { condition: -"a" == 1 }
