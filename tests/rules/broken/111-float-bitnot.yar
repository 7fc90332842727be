// expect: 2:21: wrong type "float" for ~ operator
rule a { condition: ~1.0 == 1 }
