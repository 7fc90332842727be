// expect: 2:43: expecting '('
rule a { condition: for any i in (1..3) : i == 1 }
