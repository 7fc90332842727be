// expect: 2:33: expecting regular expression
rule a { condition: "a" matches "a" }
