rule a { condition: 1 + 2 * 3 == 7 and (1 | 2 ^ 3 & 4) == 3 and 1 << 2 + 1 == 8 and -2 * -2 == 4 and ~0 == -1 }
