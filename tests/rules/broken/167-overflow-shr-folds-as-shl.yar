// expect: 2:51: integer overflow in "9223372036854775807 + 1"
rule a { condition: (0x7FFFFFFFFFFFFFFF >> 0) + 1 > 0 }
