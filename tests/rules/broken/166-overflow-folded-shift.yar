// expect: 3:3: integer overflow in "9223372036854775806 + 2"
rule a { condition: (0x3FFFFFFFFFFFFFFF << 1) + 2
  > 0 }
