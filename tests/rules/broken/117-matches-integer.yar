// expect: 2:23: wrong type "integer" for matches operator
rule a { condition: 1 matches /a/ }
