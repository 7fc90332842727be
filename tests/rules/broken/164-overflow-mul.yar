// expect: 2:34: integer overflow in "3037000500 * 3037000500"
rule a { condition: 3037000500 * 3037000500 > 1 }
