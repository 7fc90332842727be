// expect: 2:25: wrong type "float" for startswith operator
rule a { condition: 1.5 startswith "a" }
