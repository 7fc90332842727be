// expect: 2:38: wrong type for enumeration item
rule a { condition: for any i in (1, "a") : (i == 1) }
