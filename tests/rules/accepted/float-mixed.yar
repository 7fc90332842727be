rule a { condition: 1.5 + 1 > 2 and 3 \ 2 == 1 and 2.0 * 2 == 4 }
