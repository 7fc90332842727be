// expect: 2:54: integer overflow in "9223372036854775807 + 1"
rule a { condition: (~(-0x7FFFFFFFFFFFFFFF - 1)) + 1 > 0 }
