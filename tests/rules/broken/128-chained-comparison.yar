// expect: 2:29: unexpected '<'
rule a { condition: (1 < 2) < 3 }
