// expect: 2:52: duplicated loop identifier "i"
rule a { condition: for any i in (1..3) : (for any i in (1..3) : (i == 1)) }
