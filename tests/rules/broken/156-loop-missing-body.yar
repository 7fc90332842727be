// expect: 2:41: expecting ':'
rule a { condition: for any i in (1..3) }
