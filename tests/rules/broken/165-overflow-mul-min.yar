// expect: 2:50: integer overflow in "-1 * -9223372036854775808"
rule a { condition: -1 * (-0x7FFFFFFFFFFFFFFF - 1) > 0 }
