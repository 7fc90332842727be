// expect: 2:29: undefined identifier "i"
rule a { condition: for 50% i in (1..3) : (i == 2) }
