rule a { condition: 1 and not 0 }
