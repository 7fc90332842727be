// expect: 2:22: wrong type "float" for ~ operator
rule a { condition: ~1.0 == 1 }
