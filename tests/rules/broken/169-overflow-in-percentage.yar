// expect: 2:62: integer overflow in "9223372036854775807 + 1"
rule a { strings: $a = "a" condition: (0x7FFFFFFFFFFFFFFF + 1)% of them }
