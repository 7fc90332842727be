// expect: 2:45: integer overflow in "-9223372036854775807 - 2"
rule a { condition: -0x7FFFFFFFFFFFFFFF - 2 < 0 }
