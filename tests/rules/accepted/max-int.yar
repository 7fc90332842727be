rule a { condition: 9223372036854775807 > 0 and 0x7fffffffffffffff > 0 }
