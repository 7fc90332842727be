// expect: 2:56: undefined identifier "i"
rule a { condition: for any i in (1..3) : (i == 2) and i == 1 }
