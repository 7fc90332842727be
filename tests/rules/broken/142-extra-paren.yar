// expect: 2:27: unexpected ')'
rule a { condition: 1 == 1) }
