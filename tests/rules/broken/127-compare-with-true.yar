// expect: 2:26: unexpected true
rule a { condition: 1 == true }
