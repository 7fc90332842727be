// expect: 2:37: iterator yields an integer on each iteration
rule a { condition: for any k, v in (1..2) : (k == 1) }
