// expect: 2:47: integer overflow in "9223372036854775807 + 1"
rule test { condition: 0x7FFFFFFFFFFFFFFF + 1 > 0 }
