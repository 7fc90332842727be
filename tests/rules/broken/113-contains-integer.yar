// expect: 2:23: wrong type "integer" for contains operator
rule a { condition: 1 contains "a" }
