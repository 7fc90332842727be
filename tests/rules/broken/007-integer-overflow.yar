// expect: 2:21: integer overflow in "99999999999999999999"
rule a { condition: 99999999999999999999 > 0 }
