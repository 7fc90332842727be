// expect: 2:44: undefined identifier "j"
rule a { condition: for any i in (1..3) : (j == 2) }
