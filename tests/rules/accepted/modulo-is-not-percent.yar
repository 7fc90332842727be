rule a { condition: 7 % 3 == 1 }
