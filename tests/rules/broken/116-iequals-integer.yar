// expect: 2:23: wrong type "integer" for iequals operator
rule a { condition: 1 iequals "a" }
